// Notices to residents: how many each channel delivered, is still trying, gave up on (ES module).
//
// Counts only, from GET /v1/notices/deliveries: nothing about any resident.

import { dataTable } from "/static/common/admin-tables.js";

const $ = (id) => document.getElementById(id);

export function setUpNotices(ctx) {
  const { t } = ctx;

  async function load() {
    try {
      const counts = await ctx.call("/v1/notices/deliveries");
      const rows = Object.entries(counts.channels).map(([channel, c]) => [
        t(`notices.channel.${channel}`),
        ctx.i18n.coin(c.delivered),
        ctx.i18n.coin(c.pending),
        ctx.i18n.coin(c.failed),
        c.paused_until ? t("notices.paused", { until: ctx.i18n.dateTime(c.paused_until) }) : t("notices.running"),
      ]);
      const table = dataTable({
        caption: t("notices.caption", { n: ctx.i18n.coin(counts.notices) }),
        columns: [
          { label: t("notices.channel") },
          { label: t("notices.delivered"), numeric: true },
          { label: t("notices.pending"), numeric: true },
          { label: t("notices.failed"), numeric: true },
          { label: t("notices.state") },
        ],
        rows,
      });
      $("notices-result").replaceChildren(table);
    } catch (error) {
      ctx.fail(error);
    }
  }

  $("notices-refresh").addEventListener("click", load);
  return { notices: load };
}
