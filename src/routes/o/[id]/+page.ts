// The programme view lives on an organisation key kept in this browser, so it renders in the browser only.
export const ssr = false;
export const prerender = false;
