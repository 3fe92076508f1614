/* vidlake - Apache-2.0 */
/* DOM helpers shared by the dashboard's views (app.mjs, history.mjs). */

/* An element: attrs sets class, text, style or any attribute; kids (nodes
 * or strings; null skipped) are appended. */
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'style') e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
