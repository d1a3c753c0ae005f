// The invite's token is in the URL fragment, which only the browser sees.
export const ssr = false;
export const prerender = false;
