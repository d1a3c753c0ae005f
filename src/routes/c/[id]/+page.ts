// The community page lives on a token kept in this browser, so it renders in the browser only.
export const ssr = false;
export const prerender = false;
