// Reads a provbase report page's layout in headless Chromium (Debian's, through
// playwright-core), from disk with the network refused: on a 1280-pixel window (landmarks, the
// viewport meta, the page's own width, the runners' order) and as printed (print media on a
// landscape A4 page: whether every cell's drifts show, and whether the tables fit the page).
// Writes the printed PDF beside the screenshot.
//
// node page_layout.cjs PAGE.html OUT.pdf   (PLAYWRIGHT_CORE: the module's folder)
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

(async () => {
  const [page_file, pdf] = process.argv.slice(2);
  const url = "file://" + path.resolve(page_file);
  const browser = await chromium.launch({
    executablePath: process.env.PROVBASE_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 800 } });
  await context.route("**/*", (route) => (route.request().url() === url ? route.continue() : route.abort()));
  const page = await context.newPage();
  await page.goto(url);
  const screen = await page.evaluate(() => ({
    main: document.querySelectorAll("main").length,
    viewport_meta: (document.querySelector('meta[name="viewport"]') || {}).content || null,
    page_width: document.documentElement.scrollWidth,
    window_width: window.innerWidth,
    runners: Array.from(document.querySelectorAll("#matrix > tbody > tr:first-child > th")).slice(1).map((th) => th.innerText),
    details_shown: Array.from(document.querySelectorAll("#matrix .detail")).filter((d) => d.checkVisibility()).length,
  }));
  // print: the media, and a landscape A4 page's printable width (297 mm less 2 cm, at 96 px/in)
  const printable = Math.floor(((297 - 20) / 25.4) * 96);
  await page.setViewportSize({ width: printable, height: 700 });
  await page.emulateMedia({ media: "print" });
  const printed = await page.evaluate(() => {
    const details = Array.from(document.querySelectorAll("#matrix .detail"));
    const matrix = document.querySelector("#matrix").getBoundingClientRect();
    return {
      details: details.length,
      details_shown: details.filter((d) => d.checkVisibility() && d.getBoundingClientRect().height > 0).length,
      drift_rows_shown: Array.from(document.querySelectorAll("#matrix tr.drift")).filter((r) => r.checkVisibility()).length,
      matrix_right: Math.ceil(matrix.right),
      page_width: document.documentElement.scrollWidth,
      runner_columns_shown: Array.from(document.querySelectorAll("#matrix > tbody > tr:first-child > th"))
        .filter((th) => th.getBoundingClientRect().right <= window.innerWidth + 1).length - 1,
    };
  });
  printed.printable = printable;
  await page.pdf({ path: pdf, landscape: true, format: "A4", margin: { top: "1cm", bottom: "1cm", left: "1cm", right: "1cm" } });
  console.log(JSON.stringify({ screen, printed }));
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
