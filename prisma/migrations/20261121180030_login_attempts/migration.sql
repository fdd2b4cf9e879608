-- CreateTable
CREATE TABLE "login_attempts" (
    "key" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "failures" INTEGER NOT NULL,

    CONSTRAINT "login_attempts_pkey" PRIMARY KEY ("key")
);

-- Hand-written below (kept by `npm run db:migration`).
ALTER TABLE "login_attempts" ADD CONSTRAINT "login_attempts_failures_positive" CHECK ("failures" >= 1);
