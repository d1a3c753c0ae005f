import type { nl } from './nl';

type Widen<T> = T extends (...args: infer A) => infer R ? (...args: A) => R : T extends string ? string : { [K in keyof T]: Widen<T[K]> };

/** The shape every catalogue has: the Dutch one's, with its strings widened. Its own module, so catalogues and the i18n runtime import it without a cycle. */
export type Messages = Widen<typeof nl>;
