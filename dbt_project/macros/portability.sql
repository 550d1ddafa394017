{#- What DuckDB and PostgreSQL say differently, stated once per engine (adapter.dispatch):
    default__ is PostgreSQL's standard SQL, duckdb__ DuckDB's own. Everything else in the
    models is SQL both engines read alike; same_or_both_null is written for PostgreSQL's
    planner, in SQL both read. -#}

{#- Whether column holds the same code in alias and other, or NULL in both: the département's
    association, the total cell's breakdown value, an indicator without MIS PE dimension.
    Codes are never empty, so compared coalesced: an equality PostgreSQL can hash or merge on.
    On `is not distinct from` it compares every pair of rows agreeing on the other keys
    (int_indicators_completed on M: 16.6 s alone, 11.4 s coalesced). -#}
{% macro same_or_both_null(alias, other, column) -%}
    coalesce({{ alias }}.{{ column }}, '') = coalesce({{ other }}.{{ column }}, '')
{%- endmacro %}

{#- The last day of a date's month, as a date. -#}
{% macro last_day_of(date_sql) -%}
    {{ return(adapter.dispatch('last_day_of')(date_sql)) }}
{%- endmacro %}
{% macro default__last_day_of(date_sql) -%}
    (date_trunc('month', {{ date_sql }}) + interval '1 month' - interval '1 day')::date
{%- endmacro %}
{% macro duckdb__last_day_of(date_sql) -%}
    last_day({{ date_sql }})
{%- endmacro %}

{#- One row per month from first to last (first days of months), in a select list. -#}
{% macro month_series(first_sql, last_sql) -%}
    {{ return(adapter.dispatch('month_series')(first_sql, last_sql)) }}
{%- endmacro %}
{% macro default__month_series(first_sql, last_sql) -%}
    generate_series(({{ first_sql }})::timestamp, ({{ last_sql }})::timestamp, interval '1 month')::date
{%- endmacro %}
{% macro duckdb__month_series(first_sql, last_sql) -%}
    unnest(generate_series({{ first_sql }}, {{ last_sql }}, interval '1 month'))::date
{%- endmacro %}

{#- A number rounded to some decimals (PostgreSQL rounds only numerics to a given scale). -#}
{% macro round_to(number_sql, digits) -%}
    {{ return(adapter.dispatch('round_to')(number_sql, digits)) }}
{%- endmacro %}
{% macro default__round_to(number_sql, digits) -%}
    round(({{ number_sql }})::numeric, {{ digits }})
{%- endmacro %}
{% macro duckdb__round_to(number_sql, digits) -%}
    round({{ number_sql }}, {{ digits }})
{%- endmacro %}

{#- The non-NULL value of the row with the greatest ordering value (an aggregate). -#}
{% macro arg_max_of(value_sql, ordering_sql) -%}
    {{ return(adapter.dispatch('arg_max_of')(value_sql, ordering_sql)) }}
{%- endmacro %}
{% macro default__arg_max_of(value_sql, ordering_sql) -%}
    (array_agg({{ value_sql }} order by {{ ordering_sql }} desc) filter (
        where {{ value_sql }} is not null and {{ ordering_sql }} is not null
    ))[1]
{%- endmacro %}
{% macro duckdb__arg_max_of(value_sql, ordering_sql) -%}
    arg_max({{ value_sql }}, {{ ordering_sql }})
{%- endmacro %}

{#-
    A model's columns but some, as a select list (prefix: the alias to qualify them with;
    schema: the model's, as generate_schema_name names it):
    standard SQL has no `* exclude (…)`. Read from the model's built table, which `dbt build`
    makes before its children and their unit tests (whose fixtures have the same columns); at
    parse time, before anything is built, it stands as `*`.
-#}
{% macro star_except(model_name, excluded, prefix=none, schema='intermediate') -%}
    {%- if not execute -%}{{ return('*') }}{%- endif -%}
    {#- Found by name, not by ref(): in a unit test ref() names the test's fixture. -#}
    {%- set relation = adapter.get_relation(target.database, schema, model_name) -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in excluded -%}
            {%- do names.append((prefix ~ '.' if prefix else '') ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | join(', ')) }}
{%- endmacro %}

{#- A date's month as text, "AAAA-MM". -#}
{% macro month_text(date_sql) -%}
    {{ return(adapter.dispatch('month_text')(date_sql)) }}
{%- endmacro %}
{% macro default__month_text(date_sql) -%}
    to_char({{ date_sql }}, 'YYYY-MM')
{%- endmacro %}
{% macro duckdb__month_text(date_sql) -%}
    strftime({{ date_sql }}, '%Y-%m')
{%- endmacro %}

{#- A digest of a group's rows, whatever their order (an aggregate): the sum of a hash of each
    row's values, NULLs included, as text. ase_impact/warehouse/connection.py `hash_sum` is
    the same SQL, for the gate and the consolidated workbook's fingerprint. -#}
{% macro hash_sum(values_sql) -%}
    {{ return(adapter.dispatch('hash_sum')(values_sql)) }}
{%- endmacro %}
{% macro default__hash_sum(values_sql) -%}
    sum(hashtextextended(cast(row({{ values_sql | join(', ') }}) as text), 0))::varchar
{%- endmacro %}
{% macro duckdb__hash_sum(values_sql) -%}
    sum(hash({{ values_sql | join(', ') }})::hugeint)::varchar
{%- endmacro %}

{#- Whole years from a birth month ('AAAA-MM') to the last day of date_sql's month: that day
    is past any birthday of its month, so the birth day is not needed. -#}
{% macro age_at_month_end(birth_month_sql, date_sql) -%}
    (extract(year from {{ date_sql }})::integer - substr({{ birth_month_sql }}, 1, 4)::integer
        - case
            when extract(month from {{ date_sql }})::integer < substr({{ birth_month_sql }}, 6, 2)::integer
                then 1
            else 0
        end)
{%- endmacro %}
