import { startApp } from './support/app.ts';
import { launchBrowser, openPage, callApi } from './support/browser.ts';
const app = await startApp();
const browser = await launchBrowser();
try {
  const w = await openPage(browser, app.baseUrl, { width: 390, height: 844 });
  await callApi(w, 'POST', '/auth/signup', {
    body: { email: 'a@b.test', password: 'correct horse battery', name: 'A' },
  });
  await callApi(w, 'POST', '/tenants', { body: { name: 'X', subdomain: 'xxx' } });
  const site = await callApi(w, 'POST', '/sites', {
    workspace: 'xxx',
    body: { name: 'S', domain: 's.test' },
  });
  await callApi(w, 'POST', `/sites/${site.id}/metrics`, {
    workspace: 'xxx',
    body: {
      rows: Array.from({ length: 20 }, (_, i) => ({
        date: new Date(Date.now() - i * 86400000).toISOString().slice(0, 10),
        sessions: 200 + i,
        clicks: 50,
        revenue: 10000 + i * 150,
      })),
    },
  });
  await callApi(w, 'POST', '/services', {
    workspace: 'xxx',
    body: {
      siteId: site.id,
      name: 'SEO retainer',
      category: 'Content',
      billing: 'monthly',
      amount: 75000,
      startDate: new Date(Date.now() - 40 * 86400000).toISOString().slice(0, 10),
    },
  });
  await w.page.goto(`/w/xxx/sites/${site.id}`);
  await w.page.getByRole('heading', { level: 1 }).waitFor();
  await w.page.waitForTimeout(1500);
  console.log(
    await w.page.evaluate(() => {
      const out: string[] = [];
      for (const el of document.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > 392)
          out.push(
            `${el.tagName}.${el.className} right=${Math.round(r.right)} w=${Math.round(r.width)}`,
          );
      }
      return document.documentElement.scrollWidth + '\n' + out.slice(0, 30).join('\n');
    }),
  );
  await w.page.screenshot({ path: '/tmp/site-phone.png', fullPage: true });
} finally {
  await browser.close();
  await app.stop();
}
