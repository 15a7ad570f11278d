// End-to-end test of the tms phone page in real headless Chromium, run by tests/phone_page.rs.
//
// A support worker signs in with the keyboard, records a two-part shared-support shift (after
// one try with every error shown at once, and a check of each part's length before saving), is
// told in plain words which shift a clashing one overlaps, has a 09:00–08:30 typo stopped until
// confirmed or changed, saves a night once confirmed, chooses which 01:30 on the night the clocks
// go back, and a manager, who sees names rather than codes, approves the first shift. Every page visited is checked with
// axe-core (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA), for horizontal scrolling at 200% zoom (640 CSS px)
// and at 320 CSS px, and for touch targets of at least 44×44 CSS px.
//
// Environment: BASE_URL (http://127.0.0.1:PORT), WORKER_TOKEN, MANAGER_TOKEN, WORKER_LINK (a
// one-time sign-in link of the worker's token); optional CHROMIUM_PATH (default
// /usr/bin/chromium) and SCREENSHOT_DIR (a PNG of every page checked goes there).
// Exits 0 when everything passed; otherwise prints every problem found and exits 1.

import { createRequire } from 'node:module';
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const AXE_SOURCE = readFileSync(require.resolve('axe-core'), 'utf8');

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
/** A phone, then 1280 CSS px at 200% zoom, then the 320 px of WCAG 1.4.10 reflow. */
const PHONE = { width: 390, height: 844 };
const REFLOW_WIDTHS = [640, 320];
/** Smallest touch target, CSS px. */
const TARGET_MIN = 44;
/** The whole run gives up after this long. */
const DEADLINE_MS = 180_000;

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`phone.mjs: set ${name} (see the comment at the top of the file)`);
    process.exit(2);
  }
  return value;
}

const BASE_URL = env('BASE_URL').replace(/\/$/, '');
const WORKER_TOKEN = env('WORKER_TOKEN');
const MANAGER_TOKEN = env('MANAGER_TOKEN');
const WORKER_LINK = env('WORKER_LINK');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';

/** Problems found by the page checks; the flow carries on so that one run shows them all. */
const problems = [];
/** How many axe rules passed on each page checked. */
const axeRules = [];
let step = 'starting';

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

function check(condition, message) {
  if (!condition) fail(message);
}

function ok(message) {
  console.log(`ok - ${message}`);
}

function path(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/**
 * Runs `action` (a click or key press that submits or follows a link) and waits for the page it
 * leads to, after any redirects. Returns that page's response.
 */
async function navigate(page, action) {
  const committed = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
  });
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) =>
        r.request().isNavigationRequest() &&
        r.frame() === page.mainFrame() &&
        !(r.status() >= 300 && r.status() < 400),
    ),
    committed,
    action(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

async function goto(page, url) {
  const response = await page.goto(url, { waitUntil: 'load' });
  check(response, `no response from ${url}`);
  return response;
}

function expectPath(page, expected, what) {
  const actual = path(page);
  const matches = expected instanceof RegExp ? expected.test(actual) : actual === expected;
  check(matches, `${what}: expected to be on ${expected}, but the browser is on ${actual}`);
}

async function h1(page) {
  return (await page.locator('h1').first().textContent())?.trim() ?? '';
}

/** The text a person sees on the page, in one line. */
async function visibleText(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Page checks: axe-core, reflow and touch targets.

function describeViolation(v) {
  const lines = [`  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`];
  for (const node of v.nodes.slice(0, 8)) {
    lines.push(`      at ${node.target.join(' ')}`);
    lines.push(`         ${node.html.replace(/\s+/g, ' ').slice(0, 200)}`);
    if (node.failureSummary) {
      lines.push(...node.failureSummary.split('\n').map((l) => `         ${l.trim()}`));
    }
  }
  if (v.nodes.length > 8) lines.push(`      ... and ${v.nodes.length - 8} more`);
  return lines.join('\n');
}

async function runAxe(page, name) {
  // Evaluated through the DevTools protocol, so the page's Content-Security-Policy (no scripts at
  // all) stays in force for everything else.
  const injected = await page.evaluate(() => typeof window.axe === 'object');
  if (!injected) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    AXE_TAGS,
  );
  if (results.passes.length === 0) {
    fail(`axe-core ran no rule that passed on "${name}": it cannot have checked the page`);
  }
  if (results.violations.length > 0) {
    problems.push(
      `axe-core found ${results.violations.length} kind(s) of violation on "${name}" (${path(page)}):\n` +
        results.violations.map(describeViolation).join('\n'),
    );
  }
  if (results.incomplete.length > 0) {
    console.log(
      `note - axe-core could not decide on "${name}": ${results.incomplete.map((r) => r.id).join(', ')}`,
    );
  }
  axeRules.push(results.passes.length);
  return results.violations.length;
}

/** Horizontal scrolling at the current viewport. */
async function overflow(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return null;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).replace(/ /g, '.') : ''} (right edge ${Math.round(el.getBoundingClientRect().right)})`);
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
  });
}

/**
 * Touch targets smaller than the minimum at the current viewport: buttons, links styled as
 * buttons, the skip link while focused, form controls, and the label of each checkbox or radio
 * (the label is the target: it holds the box, and tapping anywhere on it ticks the box). Links
 * inside text may be smaller.
 */
async function smallTargets(page, min) {
  const measure = () =>
    page.evaluate((min) => {
      const visible = (el) => {
        if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return false;
        const r = el.getBoundingClientRect();
        return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0;
      };
      const name = (el) => {
        const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
        const id = el.id ? `#${el.id}` : '';
        const type = el.type && el.tagName !== 'BUTTON' ? `[type=${el.type}]` : '';
        return `${el.tagName.toLowerCase()}${id}${type}${text ? ` "${text.slice(0, 40)}"` : ''}`;
      };
      const small = [];
      const measureOne = (el, what) => {
        if (!visible(el)) return;
        const r = el.getBoundingClientRect();
        if (r.width + 0.01 < min || r.height + 0.01 < min) {
          small.push(`${what} ${name(el)} is ${r.width.toFixed(1)}×${r.height.toFixed(1)}`);
        }
      };
      const boxes = 'input[type=checkbox], input[type=radio]';
      for (const el of document.querySelectorAll('button, a.button, select, textarea, input')) {
        if (el.matches(boxes)) {
          const label = el.closest('label') || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`));
          if (!label) small.push(`${name(el)} has no label to make a larger target`);
          else if (!label.contains(el)) small.push(`${name(el)}: its label does not hold it, so the label is not one target with it`);
          else measureOne(label, 'label of');
        } else {
          measureOne(el, el.matches('a') ? 'link styled as a button' : 'control');
        }
      }
      if (document.activeElement?.matches('a.skip')) measureOne(document.activeElement, 'focused skip link');
      return small;
    }, min);
  const found = await measure();
  // The skip link shows only while focused: measure it too.
  const skip = page.locator('a.skip');
  if ((await skip.count()) > 0) {
    await skip.focus();
    found.push(...(await measure()).filter((s) => s.startsWith('focused skip link')));
    await page.evaluate(() => document.activeElement?.blur());
  }
  return found;
}

/**
 * On a page just loaded, the first Tab shows the skip link on screen (unless the page put focus
 * somewhere itself, like the error summary).
 */
async function firstTab(page, name) {
  const focusedOnLoad = await page.evaluate(() => document.activeElement !== document.body);
  if (focusedOnLoad) return;
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const el = document.activeElement;
    const r = el?.getBoundingClientRect();
    return {
      isSkip: Boolean(el?.matches('a.skip')),
      onScreen: Boolean(r && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight),
      what: el ? `${el.tagName.toLowerCase()} "${(el.textContent || '').trim().slice(0, 40)}"` : 'nothing',
    };
  });
  if (!skip.isSkip) problems.push(`"${name}": the first Tab reaches ${skip.what}, not the skip link`);
  else if (!skip.onScreen) problems.push(`"${name}": the skip link has focus but is not on screen`);
  await page.evaluate(() => document.activeElement?.blur());
}

async function screenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

/**
 * Checks the page as it is now: axe-core at phone size; then, at each reflow width, no horizontal
 * scrolling (form and list pages) and touch targets of at least 44×44 CSS px.
 */
async function checkPage(page, name, { reflow = true } = {}) {
  const before = problems.length;
  await screenshot(page, name);
  await firstTab(page, name);
  const violations = await runAxe(page, name);
  const sizes = [PHONE, ...(reflow ? REFLOW_WIDTHS.map((width) => ({ width, height: 800 })) : [])];
  for (const size of sizes) {
    await page.setViewportSize(size);
    const where = `"${name}" at ${size.width}×${size.height}`;
    if (size !== PHONE) {
      const wide = await overflow(page);
      if (wide) {
        problems.push(
          `${where} scrolls sideways: scrollWidth ${wide.scrollWidth} > clientWidth ${wide.clientWidth}; ` +
            `too wide: ${wide.wide.join('; ') || '(no single element)'}`,
        );
        await screenshot(page, `${name} overflow ${size.width}`);
      }
    }
    const small = await smallTargets(page, TARGET_MIN);
    if (small.length > 0) {
      problems.push(`${where} has touch targets under ${TARGET_MIN}×${TARGET_MIN} CSS px:\n  ${small.join('\n  ')}`);
    }
  }
  await page.setViewportSize(PHONE);
  const passed = `axe (${axeRules.at(-1)} rules passed)`;
  const checks = reflow ? `${passed}, reflow at 640 and 320 px, touch targets` : `${passed}, touch targets`;
  if (problems.length === before) ok(`${name}: ${checks}`);
  else console.log(`not ok - ${name}: ${violations} axe violation kind(s), ${problems.length - before} problem(s) in all`);
}

// ---------------------------------------------------------------------------------------------
// The flow.

async function newPage(browser) {
  const context = await browser.newContext({
    viewport: PHONE,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    hasTouch: true,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      problems.push(`the page broke its Content-Security-Policy at ${path(page)}: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    const request = response.request();
    if (!request.isNavigationRequest() && response.status() >= 400) {
      problems.push(`${request.method()} ${response.url()} answered ${response.status()} (from ${path(page)})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`script error at ${path(page)}: ${error.message}`));
  return { context, page };
}

/** Presses Tab (going round the page if need be) until `selector` has focus. */
async function tabTo(page, selector, what) {
  if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return 0;
  for (let presses = 1; presses <= 25; presses += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return presses;
  }
  fail(`${what} cannot be reached with the Tab key (${selector})`);
}

/** Signs in on /sign-in with the keyboard only: Tab to the field, type the code, press Enter. */
async function keyboardSignIn(page, token) {
  await tabTo(page, '#token', 'the sign-in code field');
  await page.keyboard.type(token);
  return navigate(page, () => page.keyboard.press('Enter'));
}

async function signInAsWorker(browser) {
  step = 'worker signs in with the keyboard';
  const { context, page } = await newPage(browser);
  await goto(page, `${BASE_URL}/sign-in`);
  check((await h1(page)) === 'Sign in', `/sign-in shows "${await h1(page)}", not "Sign in"`);
  await checkPage(page, 'sign-in');

  // An empty code first: the error must be next to the field and linked to it.
  let response = await keyboardSignIn(page, '');
  check(response.status() === 401, `signing in with no code answered ${response.status()}, not 401`);
  expectPath(page, '/sign-in', 'after signing in with no code');
  await expectFieldError(page, 'token', 'Enter your sign-in code');
  await checkPage(page, 'sign-in with error');

  response = await keyboardSignIn(page, WORKER_TOKEN);
  check(response.ok(), `signing in answered ${response.status()}`);
  expectPath(page, '/shifts', 'after the worker signs in');
  check((await h1(page)) === 'Your shifts', `the worker lands on "${await h1(page)}"`);
  ok('the worker signs in with the keyboard only and lands on /shifts');
  await checkPage(page, 'shifts list (empty)');
  return { context, page };
}

async function oneTimeLink(browser) {
  step = 'one-time sign-in link';
  const first = await newPage(browser);
  await goto(first.page, WORKER_LINK);
  check((await h1(first.page)) === 'Sign in to tms', `the link page shows "${await h1(first.page)}"`);
  await checkPage(first.page, 'sign-in link', { reflow: false });
  await navigate(first.page, () => first.page.getByRole('button', { name: 'Sign in' }).click());
  expectPath(first.page, '/shifts', 'after pressing the button on the one-time link');
  await first.context.close();
  ok('the one-time link signs the worker in');

  const second = await newPage(browser);
  await goto(second.page, WORKER_LINK);
  const response = await navigate(second.page, () => second.page.getByRole('button', { name: 'Sign in' }).click());
  check(response.status() === 401, `using the link again answered ${response.status()}, not 401`);
  check(
    (await h1(second.page)) === 'This link does not work',
    `using the link again shows "${await h1(second.page)}", not "This link does not work"`,
  );
  await checkPage(second.page, 'used sign-in link', { reflow: false });
  const cookies = await second.context.cookies();
  check(!cookies.some((c) => c.name === 'tms_session'), 'a used link still gave a session cookie');
  await second.context.close();
  ok('the one-time link does not work a second time');
}

/**
 * The field `name` shows `message`: an element with class `error` inside the field, named by the
 * control's aria-describedby, with aria-invalid set, and the same message in the error summary
 * (when the page has one) linking to the control.
 */
async function expectFieldError(page, name, message, { summary = false } = {}) {
  const found = await page.evaluate(
    ({ name }) => {
      const control = document.getElementById(name);
      if (!control) return { missing: `no control with id ${name}` };
      const field = control.closest('.field');
      const errors = field ? [...field.querySelectorAll('.error')] : [];
      const described = (control.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      const links = [...document.querySelectorAll('.summary a')]
        .filter((a) => a.getAttribute('href') === `#${name}`)
        .map((a) => a.textContent.trim());
      return {
        field: Boolean(field),
        errors: errors.map((e) => ({ id: e.id, text: e.textContent.replace(/\s+/g, ' ').trim() })),
        described,
        invalid: control.getAttribute('aria-invalid'),
        links,
        summaryFocusable: document.querySelector('.summary')?.getAttribute('tabindex') ?? null,
      };
    },
    { name },
  );
  check(!found.missing, found.missing);
  check(found.field, `#${name} is not inside an element with class "field"`);
  const error = found.errors.find((e) => e.text.includes(message));
  check(error, `the field #${name} does not show "${message}" (errors in it: ${JSON.stringify(found.errors)})`);
  check(error.id && found.described.includes(error.id), `#${name}'s aria-describedby (${found.described.join(' ')}) does not name its error #${error.id}`);
  check(found.invalid === 'true', `#${name} has aria-invalid=${found.invalid}, not true`);
  if (summary) {
    check(found.links.some((t) => t.includes(message)), `the error summary has no link to #${name} saying "${message}" (links: ${JSON.stringify(found.links)})`);
  }
  ok(`#${name} shows "${message}" next to it${summary ? ' and in the error summary' : ''}`);
}

function part(page, n) {
  return page.getByRole('group', { name: `Part ${n} of the shift`, exact: true });
}

/** What the check page says for `term` in the section headed `heading` ("Part 1", "Whole shift"). */
async function reviewed(page, heading, term) {
  return page.evaluate(
    ({ heading, term }) => {
      const h2 = [...document.querySelectorAll('main h2')].find((h) => h.textContent.trim() === heading);
      const list = h2?.nextElementSibling;
      if (!list || list.tagName !== 'DL') return `(no list under a heading "${heading}")`;
      const row = [...list.querySelectorAll(':scope > div')].find((d) => d.querySelector('dt')?.textContent.trim() === term);
      return row ? row.querySelector('dd').textContent.replace(/\s+/g, ' ').trim() : `(no "${term}" under "${heading}")`;
    },
    { heading, term },
  );
}

/** The check page shows `expected` ({heading: {term: text}}). */
async function expectReviewed(page, expected) {
  check((await h1(page)) === 'Check the shift before you save it', `the check page is headed "${await h1(page)}"`);
  for (const [heading, terms] of Object.entries(expected)) {
    for (const [term, text] of Object.entries(terms)) {
      const shown = await reviewed(page, heading, term);
      check(shown === text, `the check page's ${heading} says ${term} "${shown}", not "${text}"`);
    }
  }
}

/** Opens the new-shift form and fills one part: date, times, service by value, people by name. */
async function oneShift(page, date, start, end, people) {
  await goto(page, `${BASE_URL}/shifts/new`);
  await page.getByLabel('Date the shift started').fill(date);
  const one = part(page, 1);
  await one.getByLabel('Start time').fill(start);
  await one.getByLabel('End time').fill(end);
  await one.getByLabel('Service').selectOption('PERSONAL_CARE');
  for (const person of people) await one.getByLabel(person).check();
}

async function pressContinue(page) {
  return navigate(page, () => page.getByRole('button', { name: 'Continue' }).click());
}

async function pressSave(page) {
  return navigate(page, () => page.getByRole('button', { name: 'Save shift' }).click());
}

/** The worker's shift list (in a page of its own, so the page being filled in stays). */
async function listedShifts(page) {
  const list = await page.context().newPage();
  await goto(list, `${BASE_URL}/shifts`);
  const text = await visibleText(list.locator('main'));
  await list.close();
  return text;
}

async function recordShift(page) {
  step = 'worker records a shift';
  await navigate(page, () => page.getByRole('link', { name: 'Record a shift' }).click());
  expectPath(page, '/shifts/new', 'after following "Record a shift"');
  check((await page.locator('input[type=date]#date').count()) === 1, 'the form has no date field of type date');
  // The service list starts with nothing chosen, and lists services by name.
  const service = part(page, 1).getByLabel('Service');
  check((await service.inputValue()) === '', `the service list starts on "${await service.inputValue()}", not on nothing chosen`);
  const options = (await service.locator('option').allTextContents()).map((t) => t.trim());
  check(options[0] === 'Choose a service', `the first service option is "${options[0]}", not "Choose a service"`);
  check(options.includes('Personal care and support'), `services are not listed by name: ${JSON.stringify(options)}`);
  check(!options.some((o) => /^[A-Z_]+$/.test(o)), `a service is listed by its code: ${JSON.stringify(options)}`);
  ok('the service list starts at "Choose a service" and names services');
  await checkPage(page, 'new-shift form');

  // Once with the end time and the service missing: both errors show at once.
  await page.getByLabel('Date the shift started').fill('2026-10-06');
  await part(page, 1).getByLabel('Start time').fill('09:00');
  await part(page, 1).getByLabel('End time').fill('');
  let response = await pressContinue(page);
  check(response.status() === 422, `continuing with no end time and no service answered ${response.status()}, not 422`);
  const title = await page.title();
  check(/check the answers/.test(title), `the page title does not say there is a problem: "${title}"`);
  check((await page.locator('.summary h2').textContent()).trim() === 'There is a problem', 'no error summary headed "There is a problem"');
  await expectFieldError(page, 'seg0_end', 'Enter the time part 1 ended', { summary: true });
  await expectFieldError(page, 'seg0_service', 'Choose the service you gave in part 1', { summary: true });
  check((await page.locator('.summary a').count()) === 2, `the summary does not list exactly the two errors: ${await visibleText(page.locator('.summary'))}`);
  check((await page.locator('.field .error').count()) === 2, 'more fields than the end time and the service show an error');
  check((await page.getByLabel('Date the shift started').inputValue()) === '2026-10-06', 'the date typed was lost');
  check((await part(page, 1).getByLabel('Start time').inputValue()) === '09:00', 'the start time typed was lost');
  check(
    await page.evaluate(() => document.activeElement?.matches('.summary') ?? false),
    'the error summary does not have focus when the page with errors loads',
  );
  ok('every error shows at once; focus starts on the error summary');
  await checkPage(page, 'new-shift form with errors');
  // The summary's links take the keyboard to the fields.
  await page.locator('.summary a[href="#seg0_end"]').click();
  check(
    await page.evaluate(() => document.activeElement?.id === 'seg0_end'),
    'the error summary link does not move focus to the end time field',
  );
  await page.locator('.summary a[href="#seg0_service"]').click();
  check(
    await page.evaluate(() => document.activeElement?.id === 'seg0_service'),
    'the error summary link does not move focus to the service',
  );
  ok('the error summary links to each field at fault');

  // Part 1: shared support for Anne and Ben.
  const one = part(page, 1);
  await one.getByLabel('End time').fill('10:00');
  await one.getByLabel('Service').selectOption('PERSONAL_CARE');
  await one.getByLabel('Anne Ash').check();
  await one.getByLabel('Ben Birch').check();
  response = await navigate(page, () => page.getByRole('button', { name: 'Add another part' }).click());
  check(response.status() === 200, `"Add another part" answered ${response.status()}`);
  check((await part(page, 2).count()) === 1, 'no "Part 2 of the shift" after "Add another part"');
  check((await part(page, 1).getByLabel('End time').inputValue()) === '10:00', 'part 1 lost its end time');
  check((await part(page, 1).getByLabel('Service').inputValue()) === 'PERSONAL_CARE', 'part 1 lost its service');
  check(await part(page, 1).getByLabel('Ben Birch').isChecked(), 'part 1 lost Ben Birch');
  check((await part(page, 2).getByLabel('Start time').inputValue()) === '10:00', 'part 2 does not start when part 1 ended');
  check((await part(page, 2).getByLabel('Service').inputValue()) === '', 'part 2 starts with a service chosen');
  ok('"Add another part" adds part 2, starting when part 1 ended, with no service chosen');
  await checkPage(page, 'new-shift form with two parts');

  // Part 2: Anne alone.
  const two = part(page, 2);
  await two.getByLabel('End time').fill('10:30');
  await two.getByLabel('Service').selectOption('PERSONAL_CARE');
  await two.getByLabel('Anne Ash').check();
  check(!(await two.getByLabel('Ben Birch').isChecked()), 'Ben Birch is ticked in part 2');
  response = await pressContinue(page);
  check(response.status() === 200, `continuing answered ${response.status()}`);
  await expectReviewed(page, {
    'Part 1': {
      Time: '09:00 to 10:00 on Tue 6 Oct',
      Length: '1 hour',
      Service: 'Personal care and support',
      'People supported': 'Anne Ash, Ben Birch',
    },
    'Part 2': { Time: '10:00 to 10:30 on Tue 6 Oct', Length: '30 minutes', 'People supported': 'Anne Ash' },
    'Whole shift': { Time: '09:00 to 10:30 on Tue 6 Oct', 'Time worked': '1 hour 30 minutes' },
  });
  check((await page.locator('#confirm').count()) === 0, 'an ordinary shift asks for a confirmation');
  check(!(await listedShifts(page)).includes('Tue 6 Oct'), 'the shift was saved before "Save shift"');
  ok('the shift is shown with the length of each part and of the whole before it is saved');
  await checkPage(page, 'check the shift');
  response = await pressSave(page);
  check(response.ok(), `saving the shift answered ${response.status()}`);
  expectPath(page, '/shifts?done=recorded', 'after saving the shift');
  const notice = await visibleText(page.getByRole('status'));
  check(notice.includes('Shift recorded'), `no "Shift recorded" notice (saw "${notice}")`);

  const item = page.locator('ul.shifts > li', { hasText: 'Tue 6 Oct, 09:00 to 10:30' });
  check((await item.count()) === 1, `/shifts does not list one shift on Tue 6 Oct, 09:00 to 10:30 (list: "${await visibleText(page.locator('main'))}")`);
  const text = await visibleText(item);
  for (const expected of [
    'Waiting for approval',
    '1 hour 30 minutes',
    '09:00–10:00 Personal care and support: Anne Ash, Ben Birch',
    '10:00–10:30 Personal care and support: Anne Ash',
  ]) {
    check(text.includes(expected), `the listed shift does not say "${expected}": "${text}"`);
  }
  check(!text.includes('PERSONAL_CARE'), `the list shows a service code: "${text}"`);
  ok('the shift is listed on /shifts as "Waiting for approval", with names');
  await checkPage(page, 'shifts list');
}

async function clashIsExplained(page) {
  step = 'a clashing shift is refused in plain words';
  await oneShift(page, '2026-10-06', '09:30', '11:00', ['Anne Ash']);
  const response = await pressContinue(page);
  check(response.status() === 422, `continuing with a clashing shift answered ${response.status()}, not 422`);
  await expectFieldError(page, 'seg0_start', 'You already have a shift from 09:00 to 10:30 that day (', { summary: true });
  await checkPage(page, 'new-shift form with a clash');
}

async function typoIsStopped(page) {
  step = 'an end before the start is asked about before saving';
  await oneShift(page, '2026-10-07', '09:00', '08:30', ['Anne Ash']);
  let response = await pressContinue(page);
  check(response.status() === 200, `continuing answered ${response.status()}`);
  await expectReviewed(page, { 'Part 1': { Length: '23 hours 30 minutes' } });
  const question = await visibleText(page.locator('.question'));
  const asked = 'Part 1 runs past midnight, from 09:00 on Wed 7 Oct to 08:30 on Thu 8 Oct and lasts 23 hours 30 minutes.';
  check(question.includes(asked), `the check page does not ask "${asked}": "${question}"`);
  check(!(await page.getByLabel('Yes, these times are right').isChecked()), 'the confirmation starts ticked');
  await checkPage(page, 'check the shift with a question');
  // Saving without confirming stores nothing.
  response = await pressSave(page);
  check(response.status() === 422, `saving without confirming answered ${response.status()}, not 422`);
  await expectFieldError(page, 'confirm', 'Tick the box to say these times are right', { summary: true });
  check(!(await listedShifts(page)).includes('Wed 7 Oct'), 'an unconfirmed 23.5-hour shift was saved');
  ok('a 09:00–08:30 shift is not saved until it is confirmed');
  await checkPage(page, 'check the shift, not confirmed');
  // Change the shift: the answers come back as typed, and the corrected shift asks nothing.
  response = await navigate(page, () => page.getByRole('button', { name: 'Change the shift' }).click());
  check(response.status() === 200, `"Change the shift" answered ${response.status()}`);
  check((await part(page, 1).getByLabel('End time').inputValue()) === '08:30', 'the end time typed was lost');
  check((await page.getByLabel('Date the shift started').inputValue()) === '2026-10-07', 'the date typed was lost');
  check(await part(page, 1).getByLabel('Anne Ash').isChecked(), 'Anne Ash was lost');
  await part(page, 1).getByLabel('End time').fill('09:30');
  await pressContinue(page);
  await expectReviewed(page, { 'Part 1': { Length: '30 minutes' }, 'Whole shift': { 'Time worked': '30 minutes' } });
  check((await page.locator('#confirm').count()) === 0, 'the corrected shift still asks for a confirmation');
  response = await pressSave(page);
  expectPath(page, '/shifts?done=recorded', 'after saving the corrected shift');
  const list = await visibleText(page.locator('main'));
  check(list.includes('Wed 7 Oct, 09:00 to 09:30') && !list.includes('23 hours'), `the corrected shift is not listed as 30 minutes: "${list}"`);
  ok('"Change the shift" keeps the answers; the corrected shift is saved without a question');
}

async function nightIsConfirmed(page) {
  step = 'a night shift is saved once confirmed';
  await oneShift(page, '2026-10-08', '22:00', '07:00', ['Anne Ash']);
  await pressContinue(page);
  await expectReviewed(page, { 'Part 1': { Time: '22:00 on Thu 8 Oct to 07:00 on Fri 9 Oct', Length: '9 hours' } });
  const question = await visibleText(page.locator('.question'));
  check(question.includes('Part 1 runs past midnight, from 22:00 on Thu 8 Oct to 07:00 on Fri 9 Oct.'), `the night is not asked about: "${question}"`);
  await page.getByLabel('Yes, these times are right').check();
  const response = await pressSave(page);
  check(response.ok(), `saving the confirmed night answered ${response.status()}`);
  expectPath(page, '/shifts?done=recorded', 'after saving the confirmed night');
  const item = page.locator('ul.shifts > li', { hasText: 'Thu 8 Oct, 22:00 to 07:00' });
  check((await item.count()) === 1, 'the night shift is not listed');
  check((await visibleText(item)).includes('9 hours'), `the night is not 9 hours: "${await visibleText(item)}"`);
  ok('a night shift past midnight is saved once confirmed');
}

async function repeatedHourIsChosen(page) {
  step = 'the hour repeated when the clocks go back is chosen';
  await oneShift(page, '2026-10-25', '01:30', '03:00', ['Anne Ash']);
  let response = await pressContinue(page);
  check(response.status() === 422, `continuing with 01:30 on 25 October answered ${response.status()}, not 422`);
  const bst = part(page, 1).getByRole('radio', { name: '01:30 BST (first time)' });
  const gmt = part(page, 1).getByRole('radio', { name: '01:30 GMT (second time)' });
  check((await bst.count()) === 1 && (await gmt.count()) === 1, 'the two readings of 01:30 are not offered as radio buttons');
  check(!(await bst.isChecked()) && !(await gmt.isChecked()), 'a reading of 01:30 was chosen for the worker');
  const link = page.locator('.summary a[href="#seg0_start_reading-first"]');
  check((await link.count()) === 1, 'the error summary does not link to the choice of 01:30');
  const said = await visibleText(link);
  check(said.includes('01:30 happens twice on Sun 25 Oct'), `the summary says "${said}"`);
  check(!/offset|\+01:00/.test(await visibleText(page.locator('main'))), 'the page still asks for an offset');
  await link.click();
  check(await page.evaluate(() => document.activeElement?.id === 'seg0_start_reading-first'), 'the summary link does not reach the first reading');
  ok('01:30 on 25 October is offered as BST (first time) or GMT (second time)');
  await checkPage(page, 'new-shift form asking which 01:30');
  await gmt.check();
  await pressContinue(page);
  await expectReviewed(page, { 'Part 1': { Time: '01:30 GMT to 03:00 on Sun 25 Oct', Length: '1 hour 30 minutes' } });
  response = await navigate(page, () => page.getByRole('button', { name: 'Change the shift' }).click());
  check(await part(page, 1).getByRole('radio', { name: '01:30 GMT (second time)' }).isChecked(), 'the reading chosen was lost');
  await part(page, 1).getByRole('radio', { name: '01:30 BST (first time)' }).check();
  await pressContinue(page);
  await expectReviewed(page, { 'Part 1': { Time: '01:30 BST to 03:00 on Sun 25 Oct', Length: '2 hours 30 minutes' } });
  await checkPage(page, 'check a shift in the repeated hour');
  response = await pressSave(page);
  expectPath(page, '/shifts?done=recorded', 'after saving the shift in the repeated hour');
  const item = page.locator('ul.shifts > li', { hasText: 'Sun 25 Oct, 01:30 to 03:00' });
  check((await item.count()) === 1, 'the shift of 25 October is not listed');
  check((await visibleText(item)).includes('2 hours 30 minutes'), `the shift of 25 October is not 2 hours 30 minutes: "${await visibleText(item)}"`);
  ok('the first 01:30 is saved: 2 hours 30 minutes to 03:00');
}

async function approve(browser) {
  step = 'manager approves the shift';
  const { context, page } = await newPage(browser);
  await goto(page, `${BASE_URL}/sign-in`);
  const response = await keyboardSignIn(page, MANAGER_TOKEN);
  check(response.ok(), `the manager's sign-in answered ${response.status()}`);
  expectPath(page, '/approvals', 'after the manager signs in');
  check((await h1(page)) === 'Shifts to approve', `the manager lands on "${await h1(page)}"`);
  await checkPage(page, 'approvals');

  const main = await visibleText(page.locator('main'));
  check(main.includes('Cost centres: Maple House'), `the manager's cost centre is not named: "${main}"`);
  for (const code of ['PERSONAL_CARE', 'CC1', 'W1']) {
    check(!main.includes(code), `/approvals shows the code ${code}: "${main}"`);
  }
  const item = page.locator('ul.shifts > li', { hasText: 'Tue 6 Oct, 09:00 to 10:30' });
  check((await item.count()) === 1, `/approvals does not list the shift (page: "${main}")`);
  check((await item.getByRole('heading', { name: 'Sam Jones' }).count()) === 1, 'the shift is not headed with the worker\'s name, "Sam Jones"');
  check((await visibleText(item)).includes('Personal care and support: Anne Ash, Ben Birch'), `the shift does not name its service and people: "${await visibleText(item)}"`);
  const button = item.getByRole('button', { name: /^Approve/ });
  const name = await button.evaluate((b) => b.textContent.replace(/\s+/g, ' ').trim());
  check(name.includes('Sam Jones') && name.includes('6 Oct'), `the Approve button does not say whose shift it approves: "${name}"`);
  ok('the approvals page names the worker, the cost centre, the service and the people');
  await navigate(page, () => button.click());
  expectPath(page, '/approvals?done=approved', 'after approving');
  const notice = await visibleText(page.getByRole('status'));
  check(notice === 'Shift approved.', `no "Shift approved." confirmation (saw "${notice}")`);
  check((await page.locator('ul.shifts > li', { hasText: 'Tue 6 Oct' }).count()) === 0, 'the approved shift is still waiting on /approvals');
  ok('the manager approves the shift and sees the confirmation');
  await checkPage(page, 'approvals after approving');
  await context.close();
}

async function workerSeesApproved(page) {
  step = 'worker sees the shift approved';
  await goto(page, `${BASE_URL}/shifts`);
  const item = page.locator('ul.shifts > li', { hasText: 'Tue 6 Oct, 09:00 to 10:30' });
  const text = await visibleText(item);
  check(text.includes('Approved'), `the worker's list does not show the shift as Approved: "${text}"`);
  check((await item.getByRole('link', { name: /correct/i }).count()) === 0, 'an approved shift still offers a correction link');
  ok('the worker sees the shift as Approved');
  await checkPage(page, 'shifts list (approved)');
}

async function main() {
  const watchdog = setTimeout(() => {
    console.error(`FAIL: phone.mjs took longer than ${DEADLINE_MS / 1000} s (at step: ${step})`);
    process.exit(1);
  }, DEADLINE_MS);
  watchdog.unref();

  // Playwright gives every launch a fresh, throw-away --user-data-dir of its own (it refuses the
  // flag in args); HOME and the crash dumps go to a fresh folder too.
  const scratch = mkdtempSync(join(tmpdir(), 'tms-e2e-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--crash-dumps-dir=${join(scratch, 'crashes')}`,
    ],
    env: { ...process.env, HOME: scratch, XDG_CONFIG_HOME: join(scratch, 'config'), XDG_CACHE_HOME: join(scratch, 'cache') },
  });
  let worker = null;
  try {
    console.log(`# chromium ${browser.version()} at ${CHROMIUM_PATH}, axe-core ${require('axe-core/package.json').version}, against ${BASE_URL}`);
    worker = await signInAsWorker(browser);
    await oneTimeLink(browser);
    await recordShift(worker.page);
    await clashIsExplained(worker.page);
    await typoIsStopped(worker.page);
    await nightIsConfirmed(worker.page);
    await repeatedHourIsChosen(worker.page);
    await approve(browser);
    await workerSeesApproved(worker.page);
  } catch (error) {
    if (worker) await screenshot(worker.page, 'failure').catch(() => {});
    const message = error instanceof Failure ? error.message : error.stack || String(error);
    console.error(`FAIL at step "${step}": ${message}`);
    if (problems.length > 0) console.error(`\nand before that:\n${problems.join('\n\n')}`);
    await browser.close().catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
    process.exit(1);
  }
  await browser.close();
  rmSync(scratch, { recursive: true, force: true });
  if (problems.length > 0) {
    console.error(`FAIL: ${problems.length} problem(s) on the phone pages:\n\n${problems.join('\n\n')}`);
    process.exit(1);
  }
  console.log('phone page: all checks passed');
}

await main();
