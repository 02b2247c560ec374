import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The built files are served by Whistle.Api from the same origin, so base is '/'.
// `npm run dev` proxies the API and the hub to a locally running Whistle.Api
// (set WHISTLE_API to its address; default http://localhost:5000).
const api = process.env.WHISTLE_API ?? 'http://localhost:5000'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)/ },
            { name: 'element-plus', test: /node_modules[\\/](element-plus|@element-plus)/ },
            { name: 'vendor', test: /node_modules/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: true },
      '/hubs': { target: api, changeOrigin: true, ws: true },
    },
  },
})
