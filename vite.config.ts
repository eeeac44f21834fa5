import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web app: built into dist/web (served by the API process), or `npx vite` in development
// with /api (and the offline Stripe sandbox pages) proxied to a server started with
// `PORT=3000 APP_URL=http://localhost:5173 npm start`.
const api = process.env.API_URL ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist/web', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/sandbox': { target: api, changeOrigin: false },
    },
  },
});
