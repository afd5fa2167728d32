/** The part of the `dominators` package (no types of its own) that src/host/target/heap.ts uses. */
declare module "dominators" {
  /**
   * Immediate dominators by Cooper, Harvey and Kennedy's iterative method.
   * @param succs each node's successors, by node index
   * @param startIndex the entry node
   * @returns each node's immediate dominator's index; null for the entry and unreached nodes
   */
  function iterative(succs: number[][], startIndex?: number): (number | null)[];
  const dominators: { iterative: typeof iterative };
  export default dominators;
}
