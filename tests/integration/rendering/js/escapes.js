async (canary) => {
  // Every way a page could reach a server; each settles to 'ok', 'failed' or 'timeout'.
  const settle = (p) => Promise.race([
    p.then(() => 'ok', () => 'failed'),
    new Promise((resolve) => setTimeout(() => resolve('timeout'), 3000)),
  ]);
  const image = (src) => new Promise((resolve, reject) => {
    const i = new Image(); i.onload = resolve; i.onerror = reject; i.src = src;
  });
  const results = {};
  results.fetch = await settle(fetch(canary + '/fetch'));
  results.image = await settle(image(canary + '/image.png'));
  results.xhr = await settle(new Promise((resolve, reject) => {
    const x = new XMLHttpRequest(); x.open('GET', canary + '/xhr'); x.onload = resolve; x.onerror = reject; x.send();
  }));
  results.font = await settle(new FontFace('Canary', `url(${canary}/font.ttf)`).load());
  const styled = document.createElement('div');
  styled.style.backgroundImage = `url(${canary}/css.png)`;
  document.body.appendChild(styled);
  results.beacon = navigator.sendBeacon(canary + '/beacon', 'x');
  results.websocket = await settle(new Promise((resolve, reject) => {
    const ws = new WebSocket(canary.replace('http', 'ws') + '/ws');
    ws.onopen = resolve; ws.onerror = reject; ws.onclose = reject;
  }));
  results.iframe = await settle(new Promise((resolve) => {
    const f = document.createElement('iframe'); f.onload = resolve; f.src = canary + '/frame'; document.body.appendChild(f);
  }));
  results.nav = await settle(fetch('https://example.com/'));
  return results;
}
