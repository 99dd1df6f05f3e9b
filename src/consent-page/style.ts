/** The consent pages' own small stylesheet (served at /consent/style.css; no CDN, no fonts fetched). */
export const STYLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b2430;background:#f3f5f8}
main{max-width:36rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:center;padding:.5rem 0}
.brand{font-weight:700;color:#0b5cab}
h1{font-size:1.35rem;line-height:1.3;margin:.5rem 0 1rem}
h2{font-size:1.05rem;margin:0 0 .5rem}
section,.card{background:#fff;border:1px solid #d8dee6;border-radius:10px;padding:1rem;margin:0 0 1rem}
dl{margin:0}dt{font-weight:600;font-size:.9rem;color:#4a5665;margin-top:.6rem}dd{margin:0}
ul{margin:.25rem 0;padding-left:1.2rem}
label{display:block;font-weight:600;font-size:.9rem;margin:.6rem 0 .2rem}
input[type=text],input[type=tel],input[type=password],input[type=file]{width:100%;padding:.6rem;border:1px solid #b8c2cf;border-radius:8px;font:inherit;background:#fff}
button{font:inherit;font-weight:600;padding:.65rem 1.1rem;border-radius:8px;border:1px solid #0b5cab;background:#0b5cab;color:#fff;cursor:pointer;margin-top:.75rem}
button.secondary{background:#fff;color:#0b5cab}
button.danger{background:#b3261e;border-color:#b3261e}
.row{display:flex;gap:.75rem;flex-wrap:wrap;align-items:center}
.ok{color:#17663a;font-weight:600}
.notice{border-left:4px solid #0b5cab;background:#e8f1fb;padding:.75rem;border-radius:6px;margin:0 0 1rem}
.notice.error{border-color:#b3261e;background:#fbeceb}
.muted{color:#5b6776;font-size:.9rem}
.status{display:inline-block;padding:.1rem .5rem;border-radius:999px;background:#e7ebf0;font-size:.85rem;font-weight:600}
.status.ACTIVE{background:#dff3e6;color:#17663a}.status.REVOKED,.status.REJECTED,.status.EXPIRED{background:#f6e3e1;color:#8a1f17}
table{width:100%;border-collapse:collapse;font-size:.85rem}td,th{text-align:left;padding:.25rem .35rem;border-bottom:1px solid #eef1f4}
a{color:#0b5cab}
`;
