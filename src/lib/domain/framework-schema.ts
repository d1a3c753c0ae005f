import { z } from 'zod';

const text = z.string().trim().min(1).max(2000);
/** A text in every supported language. */
export const LocalizedText = z.object({ nl: text, en: text }).strict();
export type LocalizedText = z.infer<typeof LocalizedText>;
const LocalizedList = z
  .object({ nl: z.array(text).min(1).max(12), en: z.array(text).min(1).max(12) })
  .strict()
  .refine((list) => list.nl.length === list.en.length, {
    message: 'nl and en lists must have the same number of items'
  });

const slug = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug')
  .max(64);

export const FactorSchema = z
  .object({
    number: z.number().int().min(1).max(40),
    id: slug,
    theme: slug,
    group: slug.nullable(),
    title: LocalizedText,
    /** The "we"-statement participants score. */
    statement: LocalizedText,
    /** Key findings ("Belangrijkste bevindingen"). */
    findings: LocalizedList,
    /** Next-step tips ("Hoe nu verder?"), used as starting drafts for action points. */
    tips: LocalizedList,
    /** Numbers of related factors. */
    related: z.array(z.number().int().min(1)).max(12)
  })
  .strict();
export type Factor = z.infer<typeof FactorSchema>;

const Titled = z.object({ id: slug, title: LocalizedText }).strict();

export const FrameworkSchema = z
  .object({
    id: slug,
    version: z.number().int().min(1),
    name: LocalizedText,
    description: LocalizedText,
    source: LocalizedText,
    themes: z
      .array(Titled.extend({ groups: z.array(Titled) }).strict())
      .min(1)
      .max(10),
    scale: z
      .object({
        labels: z.object({ '1': LocalizedText, '2': LocalizedText, '3': LocalizedText, '4': LocalizedText, '5': LocalizedText }).strict(),
        unknown: LocalizedText
      })
      .strict(),
    stakeholderGroups: z.array(Titled).min(1).max(12),
    factors: z.array(FactorSchema).min(1).max(40)
  })
  .strict()
  .superRefine((framework, ctx) => {
    const numbers = framework.factors.map((f) => f.number);
    framework.factors.forEach((factor, index) => {
      if (factor.number !== index + 1) {
        ctx.addIssue({ code: 'custom', path: ['factors', index, 'number'], message: `factors must be numbered 1..n in order; expected ${index + 1}` });
      }
      const theme = framework.themes.find((t) => t.id === factor.theme);
      if (!theme) {
        ctx.addIssue({ code: 'custom', path: ['factors', index, 'theme'], message: `unknown theme "${factor.theme}"` });
      } else if (factor.group !== null && !theme.groups.some((g) => g.id === factor.group)) {
        ctx.addIssue({ code: 'custom', path: ['factors', index, 'group'], message: `unknown group "${factor.group}" in theme "${factor.theme}"` });
      }
      for (const related of factor.related) {
        if (!numbers.includes(related) || related === factor.number) {
          ctx.addIssue({ code: 'custom', path: ['factors', index, 'related'], message: `related factor ${related} does not resolve` });
        }
      }
    });
    const ids = framework.factors.map((f) => f.id);
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: 'custom', path: ['factors'], message: 'factor ids must be unique' });
    }
    const groupIds = framework.stakeholderGroups.map((g) => g.id);
    if (new Set(groupIds).size !== groupIds.length) {
      ctx.addIssue({ code: 'custom', path: ['stakeholderGroups'], message: 'stakeholder group ids must be unique' });
    }
  });
export type Framework = z.infer<typeof FrameworkSchema>;

/** Parses untrusted framework data, throwing a readable error that names the file. */
export function parseFramework(data: unknown, sourceName: string): Framework {
  const result = FrameworkSchema.safeParse(data);
  if (!result.success) {
    const details = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid framework in ${sourceName}:\n${details}`);
  }
  return result.data;
}
