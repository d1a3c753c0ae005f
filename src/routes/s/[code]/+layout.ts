// Session pages live on tokens kept in this browser, so they render in the browser only.
export const ssr = false;
export const prerender = false;
