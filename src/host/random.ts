import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { mersenne } from "pure-rand/generator/mersenne";

/** A seeded generator of numbers in [0, 1): the same seed gives the same sequence, run after run. */
export function seededRandom(seed: number): () => number {
  const rng = mersenne(seed | 0);
  return () => uniformFloat64(rng);
}
