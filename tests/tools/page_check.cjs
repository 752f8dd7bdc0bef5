// Loads a provbase report page in headless Chromium (Debian's, through playwright-core) from
// disk, with every request that is not the page itself refused, and prints what a reader sees
// as JSON: the matrix cells and their statuses, the first-seen lines, the timeline, what a click
// on a cell reveals, and any request the page tried to make. Takes a screenshot.
//
// node page_check.cjs PAGE.html SCREENSHOT.png   (PLAYWRIGHT_CORE: the module's folder)
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

(async () => {
  const [page_file, shot] = process.argv.slice(2);
  const url = "file://" + path.resolve(page_file);
  const browser = await chromium.launch({
    executablePath: process.env.PROVBASE_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const context = await browser.newContext({ offline: true, javaScriptEnabled: true });
  const requests = [];
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    requests.push(u);
    return route.abort();
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  const cells = await page.$$eval("#matrix > tbody > tr > td", (tds) =>
    tds.map((td) => ({
      run: td.dataset.run || null,
      runner: td.dataset.runner || null,
      status: td.dataset.status || null,
      text: td.querySelector("summary") ? td.querySelector("summary").innerText : td.innerText,
      background: getComputedStyle(td).backgroundColor,
    }))
  );
  const first_seen = await page.$$eval("#first-seen li", (lis) => lis.map((li) => li.innerText));
  const timeline = await page.$$eval("#timeline tr.lane", (rows) =>
    rows.map((r) => ({
      runner: r.dataset.runner,
      nights: Array.from(r.querySelectorAll(".night")).map((n) => ({
        text: n.innerText,
        nights: Number(n.dataset.nights),
        title: n.title,
      })),
    }))
  );
  // a click on the first failing cell shows its drifts
  let revealed = null;
  const target = await page.$("#matrix td[data-status=fail] summary");
  if (target) {
    const hidden_before = await page.$eval(
      "#matrix td[data-status=fail] .detail",
      (d) => d.getBoundingClientRect().height === 0 || !d.checkVisibility()
    );
    await target.click();
    revealed = await page.$eval("#matrix td[data-status=fail] .detail", (d) => ({
      visible: d.checkVisibility() && d.getBoundingClientRect().height > 0,
      drifts: Array.from(d.querySelectorAll("tr.drift")).map((tr) =>
        Array.from(tr.querySelectorAll("td")).map((td) => td.innerText)
      ),
      why: Array.from(d.querySelectorAll("pre")).map((p) => p.innerText),
    }));
    revealed.hidden_before = hidden_before;
  }
  await page.screenshot({ path: shot, fullPage: true });
  console.log(
    JSON.stringify({ cells, first_seen, timeline, revealed, requests, errors, title: await page.title() })
  );
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
