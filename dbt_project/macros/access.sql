{#-
    Who reads a mart on PostgreSQL (docs/postgresql.md sets the roles up): the département's
    analysts (role ase_impact_reader) every row; an association's accounts (members of
    ase_impact_association, each named in access.association_roles) the rows of their own
    association and the département's that disclosure control masks nothing of, never
    another association's: a masked département count less the association's own would be
    another association's small count (is_*suppressed flags, int_indicators_suppressed). Applied after each build
    of a mart, as dbt recreates the table; until the roles and access.association_roles exist,
    nobody but the pipeline reads the marts. DuckDB has no roles: analysts read its published
    copy (ase_impact/publish/snapshot.py).
-#}
{% macro grant_mart_access() -%}
    {{ return(adapter.dispatch('grant_mart_access')()) }}
{%- endmacro %}

{% macro duckdb__grant_mart_access() -%}
{%- endmacro %}

{% macro default__grant_mart_access() -%}
    {%- if execute and mart_access_is_set_up() -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- set masks = [] -%}
    {%- for column in columns if column.startswith('is_') and column.endswith('suppressed') -%}
        {%- do masks.append('not ' ~ column) -%}
    {%- endfor -%}
    -- Every mart grants its schema, and dbt builds marts on several threads: two grants of
    -- one schema at once fail ("tuple concurrently updated"). Taken in turn, each until its
    -- model's transaction commits.
    select pg_advisory_xact_lock(hashtext('ase_impact.grant_mart_access'));
    grant usage on schema {{ this.schema }} to ase_impact_reader, ase_impact_association;
    grant select on {{ this }} to ase_impact_reader, ase_impact_association;
    {%- if 'association_code' in columns %}
    alter table {{ this }} enable row level security;
    drop policy if exists departement_reads_all on {{ this }};
    create policy departement_reads_all on {{ this }}
        for select to ase_impact_reader using (true);
    drop policy if exists association_reads_its_own on {{ this }};
    create policy association_reads_its_own on {{ this }}
        for select to ase_impact_association using (
            {% if 'scope' in columns -%}
            (scope = 'departement'{% for mask in masks %} and {{ mask }}{% endfor %}) or
            {% endif -%}
            association_code in (
                select association_code from access.association_roles
                where role_name = current_user
            )
        );
    {%- endif %}
    {%- endif -%}
{%- endmacro %}

{% macro mart_access_is_set_up() -%}
    {%- set found = run_query(
        "select count(*) from pg_roles "
        ~ "where rolname in ('ase_impact_reader', 'ase_impact_association') "
        ~ "having count(*) = 2 and to_regclass('access.association_roles') is not null"
    ) -%}
    {{ return(found.rows | length > 0) }}
{%- endmacro %}
