// Worker: samples the process's resident set size every few milliseconds. It runs on its own thread,
// so peaks inside long synchronous work on the main thread are still seen.
let peak = 0;
let last = 0;
const sample = () => {
  last = process.memoryUsage.rss();
  if (last > peak) peak = last;
};
sample();
const timer = setInterval(sample, 5);
globalThis.onmessage = (e: MessageEvent) => {
  if (e.data === "report") {
    sample();
    clearInterval(timer);
    postMessage({ peak, last });
  }
};
