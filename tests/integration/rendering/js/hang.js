// 0.3 s after capture starts, the page's main thread spins forever and never answers again.
Object.defineProperty(window, 'wfCapture', {
  configurable: true,
  get() { return this._wf; },
  set(api) {
    const start = api.start;
    api.start = (a, b) => { setTimeout(() => { for (;;) { /* hang */ } }, 300); return start(a, b); };
    this._wf = api;
  },
});
