import { z } from 'zod';
import { REVEAL_AT, SESSION_MODES } from '../domain/checkins';
import { LANGUAGES, SCORES } from '../domain/framework';
import { withinGraphemes } from '../domain/text';
import { LIMITS } from './limits';
import { visibleText } from '../domain/names';
import { isIsoDay, PAPER_MAX_COUNT } from '../domain/community';
import { canonicalTimeZone, TIME_ZONE_MAX } from '../domain/dates';

/** An IANA time zone name (e.g. `Europe/Amsterdam`), bounded, checked against the platform's zones and answered in its canonical spelling. */
const timeZone = z
  .string()
  .max(TIME_ZONE_MAX)
  .transform((value, ctx) => {
    const zone = canonicalTimeZone(value);
    if (zone === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone, e.g. Europe/Amsterdam' });
      return z.NEVER;
    }
    return zone;
  });

const score = z.union(SCORES.map((s) => z.literal(s)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>, z.ZodLiteral<4>, z.ZodLiteral<5>]);
export const answer = z.union([score, z.literal('unknown')]);
/** A name or title: at most `max` graphemes and `units` UTF-16 units (the units checked first, before any work). */
export const displayText = (max: number, units: number) =>
  z
    .string()
    .max(units)
    // Control and invisible format characters have no business in names and titles (see visibleText).
    .transform(visibleText)
    // Counted in graphemes: an emoji at the limit is one character, never half of one.
    .refine((s) => withinGraphemes(s, max), `must be at most ${max} characters`);
/** The most factors a framework may have. */
export const FACTOR_MAX = 40;
export const factorNumber = z.number().int().min(1).max(FACTOR_MAX);
/**
 * A comment: bounded in graphemes (what people count), with a cap on UTF-16 units first
 * so the count costs bounded work; control characters other than line breaks and tabs removed.
 */
export const commentText = z
  .string()
  .max(LIMITS.commentUnits)
  .transform((s) => s.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' '))
  .refine((s) => withinGraphemes(s, LIMITS.commentMax), `must be at most ${LIMITS.commentMax} characters`);
export const actionId = z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, 'must be an action id');

/** `POST /api/sessions` body. */
export const CreateSessionRequest = z
  .object({
    title: displayText(LIMITS.titleMax, LIMITS.titleUnits).optional(),
    language: z.enum(LANGUAGES).optional(),
    anonymous: z.boolean().optional(),
    framework: z.string().max(64).optional(),
    /** Creates the session inside this community; needs `Authorization: Bearer <communityToken>`. */
    community: z.string().max(64).optional(),
    /** Where the group meets (IANA); default: the community's, else Europe/Amsterdam. The pages send the browser's. */
    timeZone: timeZone.optional(),
    /** `checkin`: open for scoring at once until `deadline` (issue 25); `live` (the default) starts in the lobby. */
    mode: z.enum(SESSION_MODES).optional(),
    /** A check-in's deadline, ISO 8601 with an offset, between about an hour and six weeks ahead. */
    deadline: z.iso.datetime({ offset: true }).optional(),
    /** A check-in's results reveal by themselves at the deadline (default) or when the facilitator reveals them. */
    revealAt: z.enum(REVEAL_AT).optional()
  })
  .strict()
  .refine((r) => r.mode === 'checkin' || (r.deadline === undefined && r.revealAt === undefined), {
    message: 'deadline and revealAt belong to a check-in (mode: "checkin")'
  })
  .refine((r) => r.mode !== 'checkin' || r.deadline !== undefined, { message: 'a check-in needs a deadline', path: ['deadline'] });
export type CreateSessionRequest = z.input<typeof CreateSessionRequest>;

/** `POST /api/communities` body. */
export const CreateCommunityRequest = z
  .object({
    name: displayText(LIMITS.titleMax, LIMITS.titleUnits).refine((s) => s.trim().length > 0, 'must not be empty'),
    language: z.enum(LANGUAGES).optional(),
    framework: z.string().max(64).optional(),
    /** Where the community meets (IANA); default Europe/Amsterdam. The pages send the browser's. */
    timeZone: timeZone.optional()
  })
  .strict();
export type CreateCommunityRequest = z.input<typeof CreateCommunityRequest>;

/** `POST /api/organisations` body (issue 25). */
export const CreateOrganisationRequest = z
  .object({
    name: displayText(LIMITS.titleMax, LIMITS.titleUnits).refine((s) => s.trim().length > 0, 'must not be empty'),
    /** The programme's IANA time zone: its quarters are counted there. Default Europe/Amsterdam. */
    timeZone: timeZone.optional()
  })
  .strict();
export type CreateOrganisationRequest = z.input<typeof CreateOrganisationRequest>;

// Shape only; the domain (paperProblems) checks ranges against the framework and that something was counted.
const paperCount = z.number().int().min(0).max(PAPER_MAX_COUNT);
/** `POST /api/communities/:id/paper-sessions` body: counts from a paper poster. */
export const PaperSessionRequest = z
  .object({
    title: displayText(LIMITS.titleMax, LIMITS.titleUnits).optional(),
    date: z.string().max(10).refine(isIsoDay, 'must be a day written YYYY-MM-DD'),
    factors: z
      .array(
        z
          .object({
            number: factorNumber,
            distribution: z.object({ '1': paperCount, '2': paperCount, '3': paperCount, '4': paperCount, '5': paperCount }).strict(),
            unknown: paperCount
          })
          .strict()
      )
      .min(1)
      .max(40)
  })
  .strict();
export type PaperSessionRequest = z.input<typeof PaperSessionRequest>;

/**
 * `POST /api/communities/:id/imports` body: a session's `export.json` as downloaded (other fields
 * are ignored). Only the latest round's per-factor counts are kept.
 */
export const ImportExportRequest = z.looseObject({
  session: z.looseObject({
    title: displayText(LIMITS.titleMax, LIMITS.titleUnits),
    createdAt: z
      .string()
      .max(40)
      .refine((v) => isIsoDay(v.slice(0, 10)), 'must start with a day written YYYY-MM-DD'),
    /** The local day where the group met (exports since time zones); older exports have only `createdAt`, a UTC instant. */
    date: z.string().max(10).refine(isIsoDay, 'must be a day written YYYY-MM-DD').optional()
  }),
  factors: z
    .array(
      z.looseObject({
        number: factorNumber,
        distribution: z.object({ '1': paperCount, '2': paperCount, '3': paperCount, '4': paperCount, '5': paperCount }).nullable(),
        unknown: paperCount
      })
    )
    .min(1)
    .max(40)
});
export type ImportExportRequest = z.input<typeof ImportExportRequest>;

/** `POST /api/sessions/:code/participants` body. */
export const JoinSessionRequest = z
  .object({
    name: displayText(LIMITS.nameMax, LIMITS.nameUnits).optional(),
    group: z.string().max(64).nullable().optional(),
    language: z.enum(LANGUAGES).optional()
  })
  .strict();
export type JoinSessionRequest = z.input<typeof JoinSessionRequest>;

/** socket.io handshake `auth`: who is connecting, decided once per connection. */
export const HandshakeAuth = z
  .object({
    code: z.string().max(20),
    // Absent: a signed-in facilitator's browser, authenticated by its account cookie and membership (issue 24).
    token: z.string().min(16).max(128).optional(),
    protocolVersion: z.number().int()
  })
  .strict();
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;
