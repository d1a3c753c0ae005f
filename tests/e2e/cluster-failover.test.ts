/**
 * A workshop in real Chromium on two instances (one PostgreSQL) behind nginx,
 * as an operations team runs it (docs/scaling.md): the facilitator through the
 * documented proxy (docs/deploy/nginx-cluster.conf, hash by session code), the
 * participants — one on a phone — through a proxy that balances round-robin, so
 * their requests land on both instances and are forwarded to the owner. Then the
 * instance that owns the session is SIGKILLed in the middle of voting, and again
 * in the middle of typing an action point, and both are restarted one after the
 * other: every page reconnects by itself, shows what is stored, keeps what was
 * typed, and no acknowledged vote is lost. Screenshots go to a temp directory.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { Answer } from '../../src/lib/protocol';
import { browserAvailability } from '../helpers/browser';
import { freePort, startInstance, type ChildServer } from '../helpers/child-server';
import { PHONE, checkedAnswers, expectParticipantCount, fillJoinForm, textOf, useE2E, vote, keepShot } from '../helpers/e2e';
import { nginxAvailability, startNginxCluster } from '../helpers/nginx';
import { adminQuery, createDatabase, postgresAvailability, startCluster, type PgCluster } from '../helpers/postgres';
import { REPO_ROOT } from '../helpers/server';
import { FORWARDED_HEADER } from '../../server/cluster/forward';
import { scaled } from '../helpers/patience';
import { boundedStep } from '../helpers/teardown';

const browser = browserAvailability();
const proxy = nginxAvailability();
const postgres = postgresAvailability();
const run = browser.run && proxy.run && postgres.run;
const reason = [browser, proxy, postgres].map((a) => ('reason' in a ? a.reason : '')).join(' ');

const DESK: Answer[] = [2, 4, 3, 1, 3, 4, 3, 2, 4, 3, 5, 'unknown'];
const PHONE_ANSWERS: Answer[] = [3, 2, 4, 1, 5, 4, 2, 2, 3, 3, 4, 1];
/** Instances that serve the pages too, with the per-address limits off (the whole test is one address). */
const PAGES = { APP_DIR: path.join(REPO_ROOT, 'build'), SESSIONS_PER_HOUR: '0', CODE_GUESSES_PER_MINUTE: '0' };
const BEFORE = 'Visit the regional incubator';
const DURING = ' together with the municipality';
const AFTER = ' in March';

/** The first action point's text area on a page (factor 3). */
const actionText = (page: Page): Locator => page.locator('[data-testid="action-item"][data-factor="3"]').first().getByTestId('action-text');

describe.skipIf(!run)(run ? 'two instances behind nginx (browser)' : `two instances behind nginx (browser) skipped: ${reason}`, () => {
  const e2e = useE2E();
  let pg: PgCluster;
  let shots = '';

  beforeAll(async () => {
    pg = await startCluster();
    shots = await fs.mkdtemp(path.join(os.tmpdir(), 'cluster-shots-'));
    console.log(`[cluster] screenshots in ${shots}`);
  });
  afterAll(async () => {
    if (pg) await boundedStep('stopping the PostgreSQL cluster', pg.stop(), 30_000);
  });

  it(
    'votes, reveal and an action point across both instances survive SIGKILL of the owner and a rolling restart',
    async () => {
      const databaseUrl = await createDatabase(pg.adminUrl);
      const ports = [await freePort(), await freePort()];
      const start = (port: number) => startInstance(databaseUrl, { port, env: PAGES });
      const instances: ChildServer[] = await Promise.all(ports.map(start));
      const hashed = await startNginxCluster([ports[0], ports[1]]);
      const roundRobin = await startNginxCluster([ports[0], ports[1]], { balance: 'round-robin' });
      const shot = (page: Page, name: string) => keepShot(page, { path: path.join(shots, `${name}.png`), fullPage: true });
      const ownerPort = async (code: string): Promise<number> => {
        const { rows } = await adminQuery(
          databaseUrl,
          `SELECT o.instance_url FROM session_owners o JOIN sessions s ON s.id = o.session_id WHERE s.code = '${code.replace(/[^A-Z0-9]/g, '')}'`
        );
        return Number(new URL(String(rows[0].instance_url)).port);
      };
      /** SIGKILLs the instance holding the session's lease and starts it again on its port (as a supervisor would). */
      const killOwner = async (code: string) => {
        const port = await ownerPort(code);
        const i = ports.indexOf(port);
        await instances[i].kill();
        return async () => {
          instances[i] = await start(port);
        };
      };
      const storedAnswers = async (code: string, name: string): Promise<(string | null)[]> => {
        const { rows } = await adminQuery(
          databaseUrl,
          `SELECT a.factor, a.answer FROM answers a JOIN participants p ON p.id = a.participant_id JOIN sessions s ON s.id = a.session_id
          WHERE s.code = '${code}' AND p.name = '${name}'`
        );
        const answers: (string | null)[] = Array.from({ length: 12 }, () => null);
        for (const r of rows) answers[Number(r.factor) - 1] = String(r.answer).replace(/^"|"$/g, '');
        return answers;
      };

      // The facilitator starts a session through the documented proxy and opens the facilitator link in a fresh context.
      const starter = await e2e.newPage();
      await starter.goto(hashed.url);
      await starter.locator('#session-language').selectOption('en');
      await starter.getByTestId('create-session').click();
      await starter.waitForURL(/\/s\/[^/]+\/facilitate/);
      const code = (await textOf(starter, 'session-code')).replace(/\s/g, '');
      // The facilitator link (with its key), as the lobby shows it for another device.
      await starter.getByTestId('facilitator-link').click();
      const facilitateUrl = (await starter.getByTestId('facilitator-link-url').getAttribute('href'))!;
      expect(facilitateUrl.startsWith(`${hashed.url}/s/${code}/facilitate#`)).toBe(true);
      const facilitator = await e2e.newPage();
      await facilitator.goto(facilitateUrl);
      await facilitator.getByTestId('session-code').waitFor();
      await starter.context().close();

      // Participants open the join link through the round-robin proxy: their requests reach both instances.
      const phone = await e2e.newPage(PHONE);
      await phone.goto(`${roundRobin.url}/s/${code}`);
      await fillJoinForm(phone, 'Fenna');
      const desk = await e2e.newPage();
      await desk.goto(`${roundRobin.url}/s/${code}`);
      await fillJoinForm(desk, 'Daan');
      await expectParticipantCount(facilitator, 2);
      await facilitator.getByTestId('phase-voting').click();
      await vote(desk, DESK);

      // The phone scores one factor per screen; after the fourth the owner dies, the rest is tapped while it is gone.
      const tapVote = async (factor: number) => {
        const option = phone.getByTestId(`vote-${factor}-${PHONE_ANSWERS[factor - 1]}`);
        await expect.poll(() => phone.getByTestId('vote-position').getAttribute('data-factor')).toBe(String(factor));
        await option.tap();
        await expect.poll(() => option.isChecked()).toBe(true);
      };
      for (let f = 1; f <= 4; f++) await tapVote(f);
      await expect.poll(() => storedAnswers(code, 'Fenna').then((a) => a.filter(Boolean).length)).toBe(4);
      const restartFirst = await killOwner(code);
      for (let f = 5; f <= 12; f++) await tapVote(f);
      await shot(phone, '1-phone-voted-during-failover');

      // Every page is back by itself (no offline banner), and what the phone shows is what is stored.
      for (const page of [facilitator, phone, desk]) await expect.poll(() => page.getByTestId('offline-banner').count(), { timeout: scaled(20_000) }).toBe(0);
      await expect.poll(() => storedAnswers(code, 'Fenna'), { timeout: scaled(20_000) }).toEqual(PHONE_ANSWERS.map(String));
      expect(await storedAnswers(code, 'Daan')).toEqual(DESK.map(String));
      expect(await checkedAnswers(phone)).toEqual(PHONE_ANSWERS.map(String));
      await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted'), { timeout: scaled(20_000) }).toBe('2');
      await shot(facilitator, '2-facilitator-after-failover');
      await restartFirst();

      // Reveal, then the action phase: the desk participant starts an action point and types into it.
      await facilitator.getByTestId('phase-reveal').click();
      for (const page of [phone, desk]) await page.getByTestId('heatmap').waitFor();
      await facilitator.getByTestId('phase-actions').click();
      await desk.getByTestId('action-add-3').click();
      await actionText(desk).waitFor();
      await actionText(desk).fill(BEFORE);
      for (const page of [facilitator, phone]) await expect.poll(() => actionText(page).inputValue(), { timeout: scaled(20_000) }).toBe(BEFORE);

      // The owner (now the other instance) dies while the text is being typed, keystroke by keystroke.
      await actionText(desk).focus();
      await actionText(desk).evaluate((el) => (el as HTMLTextAreaElement).setSelectionRange(1e6, 1e6));
      const typing = desk.keyboard.type(DURING, { delay: 40 });
      // Typing goes on at 40 ms a key; on a busy machine the first eight take longer than expect.poll's default second.
      await expect.poll(() => actionText(desk).inputValue(), { timeout: scaled(20_000) }).toContain(DURING.slice(0, 8));
      const restartSecond = await killOwner(code);
      await typing;
      await desk.keyboard.type(AFTER, { delay: 20 });
      const full = BEFORE + DURING + AFTER;
      // Nothing typed is lost on the typist's page, and it reaches everyone once they are reconnected.
      expect(await actionText(desk).inputValue()).toBe(full);
      for (const page of [facilitator, phone, desk]) await expect.poll(() => actionText(page).inputValue(), { timeout: scaled(20_000) }).toBe(full);
      await shot(desk, '3-desk-typed-during-failover');
      await restartSecond();

      // A rolling restart (SIGTERM, start again on the same port), one instance after the other.
      for (const i of [0, 1]) {
        await instances[i].terminate(15_000);
        instances[i] = await start(ports[i]);
      }
      await actionText(phone).fill(`${full}!`);
      for (const page of [facilitator, phone, desk]) await expect.poll(() => actionText(page).inputValue(), { timeout: scaled(20_000) }).toBe(`${full}!`);
      for (const page of [facilitator, phone, desk]) expect(await page.getByTestId('offline-banner').count()).toBe(0);
      await shot(phone, '4-phone-after-rolling-restart');

      // What is stored is what people were shown: the export (through the proxy) holds the text and every ballot.
      const token = await facilitator.evaluate((c) => localStorage.getItem(`seeds:facilitator:${c}`), code);
      const exported = (await (await fetch(`${hashed.url}/api/sessions/${code}/export.json`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        actions: { text: string }[];
        results: { voters: number }[];
      };
      expect(exported.actions.map((a) => a.text)).toEqual([`${full}!`]);
      expect(await storedAnswers(code, 'Fenna')).toEqual(PHONE_ANSWERS.map(String));
    },
    scaled(180_000)
  );

  it(
    'PostgreSQL itself restarting mid-workshop (an upgrade, a failover): every page comes back by itself and keeps its answers',
    async () => {
      const databaseUrl = await createDatabase(pg.adminUrl);
      const ports = [await freePort(), await freePort()];
      const instances = await Promise.all(ports.map((port) => startInstance(databaseUrl, { port, env: PAGES })));
      const roundRobin = await startNginxCluster([ports[0], ports[1]], { balance: 'round-robin' });
      const created = (await (
        await fetch(`${roundRobin.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"PG restart"}' })
      ).json()) as { code: string; facilitateUrl: string };
      const facilitator = await e2e.newPage();
      await facilitator.goto(created.facilitateUrl);
      const people: Page[] = [];
      for (const name of ['Ada', 'Bram', 'Cor', 'Dirk']) {
        const page = await e2e.newPage(name === 'Ada' ? PHONE : undefined);
        await page.goto(`${roundRobin.url}/s/${created.code}`);
        await fillJoinForm(page, name);
        people.push(page);
      }
      await expectParticipantCount(facilitator, 4);
      await facilitator.getByTestId('phase-voting').click();
      for (const page of people.slice(1)) await vote(page, DESK.slice(0, 3));

      // PostgreSQL crashes and comes back: every instance's lease connection breaks, every room is handed over.
      await pg.kill();
      for (const page of people.slice(1)) await vote(page, [null, null, null, 5]);
      await pg.restart();
      for (const page of [facilitator, ...people])
        await expect.poll(() => page.getByTestId('offline-banner').count(), { timeout: scaled(30_000), message: 'back online' }).toBe(0);
      // The answers given while the database was down reach it, and every page shows what is stored.
      for (const name of ['Bram', 'Cor', 'Dirk'])
        await expect
          .poll(
            async () => {
              const { rows } = await adminQuery(
                databaseUrl,
                `SELECT count(*)::int AS n FROM answers a JOIN participants p ON p.id = a.participant_id WHERE p.name = '${name}'`
              );
              return rows[0].n as number;
            },
            { timeout: scaled(30_000) }
          )
          .toBe(4);
      // And a new answer after the restart is stored too.
      await people[0].getByTestId('vote-1-3').tap();
      await expect
        .poll(
          async () =>
            (await adminQuery(databaseUrl, `SELECT count(*)::int AS n FROM answers a JOIN participants p ON p.id = a.participant_id WHERE p.name = 'Ada'`))
              .rows[0].n,
          {
            timeout: scaled(30_000)
          }
        )
        .toBe(1);
      await keepShot(facilitator, { path: path.join(shots, '5-facilitator-after-pg-restart.png'), fullPage: true });
      void instances;
    },
    scaled(180_000)
  );

  it(
    'a page refused with "try again" (the session is moving between instances) connects again by itself',
    async () => {
      const databaseUrl = await createDatabase(pg.adminUrl);
      const start = (port: number) => startInstance(databaseUrl, { port, env: PAGES });
      const [a, b] = await Promise.all([start(await freePort()), start(await freePort())]);
      // The session lives on a (created there, its facilitator connected there); the participant's page is served by b.
      const created = (await (
        await fetch(`${a.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"Moving"}' })
      ).json()) as { code: string; facilitateUrl: string };
      const facilitator = await e2e.newPage();
      await facilitator.goto(created.facilitateUrl);
      const person = await e2e.newPage(PHONE);
      await person.goto(`${b.url}/s/${created.code}`);
      await fillJoinForm(person, 'Eva');
      await expectParticipantCount(facilitator, 1);

      // The refusal an instance gives while a session's lease is on the move (it lost the race for the lease, or the
      // database is briefly away): forced here by marking the page's requests as forwarded, so b serves them itself
      // and its registry refuses, as a session owned by a must not open on b.
      await person.context().setExtraHTTPHeaders({ [FORWARDED_HEADER]: '1' });
      const refused = new Promise<void>((resolve) =>
        person.on('websocket', (ws) => ws.on('framereceived', (frame) => String(frame.payload).includes('store_unavailable') && resolve()))
      );
      await b.kill();
      const restarted = await start(b.port);
      await refused;
      // The session is reachable again: the page must notice by itself, with no reload.
      await person.context().setExtraHTTPHeaders({});
      await expect.poll(() => person.getByTestId('offline-banner').count(), { timeout: scaled(20_000) }).toBe(0);
      await facilitator.getByTestId('phase-voting').click();
      await person.getByTestId('vote-1-4').tap();
      await expect.poll(async () => (await adminQuery(databaseUrl, `SELECT count(*)::int AS n FROM answers`)).rows[0].n, { timeout: scaled(20_000) }).toBe(1);
      void restarted;
    },
    scaled(120_000)
  );
});
