// The invitation is in the link's fragment, which only the browser sees.
export const ssr = false;
export const prerender = false;
