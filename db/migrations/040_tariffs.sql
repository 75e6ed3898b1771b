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
