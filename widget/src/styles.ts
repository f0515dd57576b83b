/**
 * The widget's whole stylesheet. It lives in the shadow root, so the host page's CSS cannot
 * reach in and ours cannot leak out; `:host { all: initial }` also stops inherited properties
 * (font, colour, line-height) from flowing in.
 */
export const css = `
:host{all:initial}
.lc{--lc-accent:#2563eb;--lc-on-accent:#fff;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;-webkit-font-smoothing:antialiased}
.lc *{box-sizing:border-box}
.lc [hidden]{display:none!important}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
button,input,textarea{font:inherit;color:inherit}
:focus-visible{outline:3px solid #111827;outline-offset:2px}
header :focus-visible{outline-color:var(--lc-on-accent);outline-offset:0}
input:focus-visible,textarea:focus-visible{outline:2px solid #111827;outline-offset:1px;border-color:transparent}
.launcher{position:relative;width:56px;height:56px;border:0;border-radius:50%;background:var(--lc-accent);color:var(--lc-on-accent);cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);display:grid;place-items:center;margin-left:auto}
.launcher svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid #fff}
.panel{position:absolute;right:0;bottom:72px;width:360px;height:min(560px,calc(100vh - 112px));display:flex;flex-direction:column;background:#fff;border-radius:14px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.28)}
header{display:flex;align-items:center;gap:8px;padding:14px 12px 14px 18px;background:var(--lc-accent);color:var(--lc-on-accent)}
h2{flex:1;margin:0;font-size:16px;font-weight:650}
.icon{border:0;background:transparent;color:inherit;cursor:pointer;border-radius:6px;padding:4px 8px;font-size:13px}
.icon:hover{background:rgba(127,127,127,.2)}
.close{font-size:20px;line-height:1}
.offline{margin:0;padding:8px 14px;background:#fef3c7;color:#78350f;font-size:13px;border-bottom:1px solid #fde68a}
.offline:empty{display:none}
.prechat{display:flex;flex-direction:column;gap:10px;padding:18px;overflow:auto;flex:1}
.prechat p{margin:0 0 4px;color:#374151}
label{font-weight:600;font-size:13px}
.prechat input{width:100%;padding:9px 10px;border:1px solid #9ca3af;border-radius:8px;background:#fff;margin-top:4px;font-weight:400}
.primary{border:0;border-radius:8px;padding:10px 14px;background:var(--lc-accent);color:var(--lc-on-accent);font-weight:650;cursor:pointer}
.primary svg{display:block;width:20px;height:20px;fill:currentColor}
.composer .primary{padding:10px}
.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f9fafb}
.msg{max-width:82%;display:flex;flex-direction:column;gap:2px}
.msg p{margin:0;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.visitor{align-self:flex-end;align-items:flex-end}
.visitor p{background:var(--lc-accent);color:var(--lc-on-accent);border-bottom-right-radius:4px}
.agent{align-self:flex-start}
.agent p{background:#e5e7eb;color:#111827;border-bottom-left-radius:4px}
.who{font-size:12px;font-weight:600;color:#4b5563;padding-left:4px}
.meta{font-size:11px;color:#6b7280;padding:0 4px}
.pending p{opacity:.7}
.failed p{background:#fee2e2;color:#7f1d1d}
.failed .meta{color:#b91c1c}
.retry{border:0;background:none;color:#1d4ed8;text-decoration:underline;cursor:pointer;font-size:11px;padding:0 4px}
.note{align-self:center;max-width:90%;text-align:center;font-size:12px;color:#4b5563}
.typing{margin:0;min-height:20px;padding:0 16px;font-size:12px;font-style:italic;color:#4b5563;background:#f9fafb}
.composer{display:flex;gap:8px;align-items:flex-end;padding:10px;border-top:1px solid #e5e7eb;background:#fff}
.composer textarea{flex:1;resize:none;max-height:120px;min-height:40px;padding:9px 10px;border:1px solid #9ca3af;border-radius:8px}
@media (max-width:480px){.lc{right:12px;bottom:12px}.panel{position:fixed;inset:0;width:auto;height:auto;border-radius:0}.lc.open .launcher{display:none}}
@media (prefers-reduced-motion:no-preference){.panel{animation:lc-in .16s ease-out}}
@keyframes lc-in{from{opacity:0;transform:translateY(8px)}}
`;
