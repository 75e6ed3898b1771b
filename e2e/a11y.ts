/**
 * The accessibility bar of the e2e: axe-core (WCAG 2.1 A and AA rules) on a
 * page as a user sees it, failing on any serious or critical violation with
 * the rule, its help text and the first offending elements. And the wait for
 * CSS animations and transitions to finish, so a screenshot never catches a
 * bar or a toast halfway.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: page as never })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
}

/** Resolves once no CSS animation or transition is running on the page. */
export async function animationsDone(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' && !a.pending),
  );
}
