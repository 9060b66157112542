import { describe, expect, it } from 'vitest';
import { html, raw } from '../../../src/views/html.js';
import { layout } from '../../../src/views/layout.js';

describe('html templates', () => {
  it('escapes every interpolation, in text and in attributes', () => {
    const evil = `"><script>alert('x')</script>&\``;
    expect(html`<p title="${evil}">${evil}</p>`.toString()).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;</p>',
    );
  });

  it('passes nested templates and raw() through, renders lists, drops null/undefined/false', () => {
    const items = ['<a>', 'b'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${raw('<hr>')}${0}`.toString()).toBe(
      '<ul><li>&lt;a&gt;</li><li>b</li></ul><hr>0',
    );
  });

  it('the layout escapes the title and loads no script', () => {
    const page = layout('<b>x</b>', html`body`);
    expect(page).toContain('<title>&lt;b&gt;x&lt;/b&gt; · Gatehouse</title>');
    expect(page).not.toContain('<script');
  });
});
