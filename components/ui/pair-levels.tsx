import type { ReactNode } from 'react';
import { formatLevel } from '@/lib/format';

type Levels = { progressLevel: number | null; licenseLevel: number | null };

/** A pair's levels, "progress 3 · license none" (formatPairLevels), with the levels marked up as numbers. */
export function PairLevels({ levels, children }: { levels: Levels; children?: ReactNode }) {
  const [progress, license] = [formatLevel(levels.progressLevel), formatLevel(levels.licenseLevel)];
  return (
    <span className="snapshot">
      progress <span className="num">{progress}</span> · license <span className="num">{license}</span>
      {children}
    </span>
  );
}
