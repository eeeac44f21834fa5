import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web app: built into dist/web (served by the API process), or `npx vite` in development
// with /api proxied to a server started with `PORT=3000 npm start`.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist/web', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: {
    port: 5173,
    proxy: { '/api': { target: process.env.API_URL ?? 'http://localhost:3000', changeOrigin: false } },
  },
});
