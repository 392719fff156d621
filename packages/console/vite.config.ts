import { defineConfig } from 'vite';

// Built to dist/, served by the edge at /ui/. Hashed file names under assets/ may be cached forever;
// index.html is the only file that must be revalidated.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // The polyfill would be an inline script, which the console's Content-Security-Policy forbids.
    modulePreload: { polyfill: false },
    // Keep every asset a file: data: URLs in CSS would need a looser CSP.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
});
