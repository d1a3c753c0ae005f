// The home is the signed-in account's (its cookie); it renders in the browser only, like the community page.
export const ssr = false;
export const prerender = false;
