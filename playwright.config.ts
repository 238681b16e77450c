import { defineConfig } from '@playwright/test';

// Playwright cannot download browsers here: use Debian's chromium, which also
// ships SwiftShader, so WebGPU runs for real without a GPU.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const quiet = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--no-sandbox'];
const webgpu = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-webgpu-developer-features',
];

export default defineConfig({
  testDir: 'e2e',
  timeout: 300_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: { baseURL: 'http://localhost:5173', screenshot: 'on', headless: true },
  webServer: {
    command: 'npx vite --port 5173 --strictPort',
    url: 'http://localhost:5173/e2e/smoke.html',
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
  projects: [
    { name: 'webgpu', use: { launchOptions: { executablePath, args: [...quiet, ...webgpu] } } },
    // No WebGPU flags: navigator.gpu is missing or gives no adapter, so pages must fall back to the CPU.
    { name: 'no-webgpu', use: { launchOptions: { executablePath, args: [...quiet, '--disable-gpu'] } } },
  ],
});
