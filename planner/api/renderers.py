"""Renderers for file answers (BOM as CSV / XLSX), chosen by format suffix or Accept."""
from rest_framework import renderers

from config.openapi import XLSX_MEDIA_TYPE
from planner.reports.bom import bom_csv, bom_xlsx


class BomCSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return bom_csv(data).encode("utf-8")


class BomXLSXRenderer(renderers.BaseRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return bom_xlsx(data)
