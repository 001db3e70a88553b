/** One runner's observation of a vector, judged against the spec's expectation (compare.ts). */
export type Verdict =
  | { kind: 'agree'; text: string }
  | { kind: 'differ'; text: string; why: string }
  | { kind: 'not-run'; text: string; why: string };
