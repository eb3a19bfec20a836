import { defineConfig } from 'vite';

/**
 * The console: a static single-page app served under /console/ (by `npm start` locally,
 * by CloudFront from S3 in AWS). Preact's JSX runtime; no framework plugin needed.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    // The budget is checked by the browser tests; the app is one small chunk.
    chunkSizeWarningLimit: 150,
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
