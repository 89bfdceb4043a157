// Opens the server's Swagger UI in Debian's headless Chromium (Playwright's driver, no
// downloaded browser): checks that every route is listed, calls healthy through
// "Try it out", and saves a screenshot. Usage: node docs_browser.js <base url> <out dir>
// <route>... Prints one JSON line: {"paths": [...], "healthy": "<response body>"}.
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

(async () => {
  const [base, outDir, ...routes] = process.argv.slice(2);
  const profile = fs.mkdtempSync(path.join(outDir, "chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await context.newPage();
    await page.goto(base + "/docs/", { waitUntil: "load" });
    await page.waitForSelector(".opblock-summary-path", { timeout: 30000 });
    const paths = await page.$$eval(".opblock-summary-path",
                                    (els) => els.map((e) => e.getAttribute("data-path")));
    for (const r of routes) {
      if (!paths.includes(r)) throw new Error(`route ${r} not listed; the UI lists ${paths}`);
    }
    const op = page.locator(".opblock-get", { has: page.locator('[data-path="/api/v1/healthy"]') });
    await op.locator(".opblock-summary").first().click();
    await op.locator("button.try-out__btn").click();
    await op.locator("button.execute").click();
    const body = op.locator(".live-responses-table .response-col_description pre").first();
    await body.waitFor({ timeout: 30000 });
    const text = await body.innerText();
    await page.screenshot({ path: path.join(outDir, "swagger-ui.png"), fullPage: true });
    console.log(JSON.stringify({ paths, healthy: text }));
  } finally {
    await context.close();
  }
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
