import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { boardDevServer } from './server/dev-plugin';

export default defineConfig({
  plugins: [sveltekit(), boardDevServer()]
});
