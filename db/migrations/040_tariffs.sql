-- Tariffs and cost (issue 16). `devices.tariff` is the daily time-of-use
-- schedule ({currency, periods: [{from: "HH:MM", pricePerKwh}]}) or null. It is
-- part of the counting configuration (invariant 7): the actor prices each
-- reading with the tariff in force when the reading reached it in shard order,
-- so a PATCH never re-prices history accepted before it.
--
-- readings.cost and hourly.cost are exact numeric products kWh x price (the
-- price of the period in force at the local start of the reading's hour); null
-- when no tariff was in force. Rounding to the currency's minor unit happens
-- once, when a view sums them (docs/DESIGN-NOTES.md, "Cost").
alter table devices add column tariff jsonb;
alter table readings add column cost numeric;
alter table hourly add column cost numeric;

-- A configuration already in force (applied_config, migration 011) was reached
-- with no tariff: say so, so that a tariff PATCH racing queued readings leaves
-- them unpriced (the actor reads the applied tariff, not the edited row's).
update devices set applied_config = applied_config || '{"tariff": null}'::jsonb
where applied_config is not null and not (applied_config ? 'tariff');
