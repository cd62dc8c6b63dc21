// Next.js calls `register()` from instrumentation.ts once, when the server starts, before any route runs.
// This is all the burnrate setup a Next.js app needs.
export async function register(): Promise<void> {
  if (process.env['NEXT_RUNTIME'] === 'nodejs' || !process.env['NEXT_RUNTIME']) {
    await import('@burnrate/auto');
  }
}
