/** What a stress test reports through: progress lines, and checks that fail the run when false. */
export interface StressIO {
  log(message: string): void;
  check(ok: boolean, what: string): void;
}
