"""Writes the small resource files of the demo catalogue into ``demo/files/``.

The files are committed; this script is how they were made and how to remake them
(``python -m ckanext.openlima.demo.generate_files``). A fixed random seed keeps the
output stable, so regenerating only changes what the code changes. Every figure is
demonstration data written for Open Lima, not an official MML statistic. XLSX files
need ``openpyxl`` (pinned in requirements/test.txt); nothing here runs in the portal.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape

FILES_DIR = Path(__file__).parent / "files"
DISTRICTS_CSV = Path(__file__).resolve().parents[4] / "config" / "vocabularies" / "districts.csv"

# Approximate centre (latitude, longitude) of each district, enough to place demo points.
CENTRES = {
    "150101": (-12.046, -77.043), "150102": (-11.773, -77.176), "150103": (-12.026, -76.921),
    "150104": (-12.149, -77.021), "150105": (-12.060, -77.051), "150106": (-11.860, -77.036),
    "150107": (-11.975, -76.769), "150108": (-12.175, -77.020), "150109": (-12.111, -76.815),
    "150110": (-11.932, -77.049), "150111": (-12.044, -76.995), "150112": (-11.990, -77.055),
    "150113": (-12.077, -77.049), "150114": (-12.087, -76.944), "150115": (-12.069, -77.020),
    "150116": (-12.084, -77.035), "150117": (-11.970, -77.073), "150118": (-11.937, -76.697),
    "150119": (-12.276, -76.870), "150120": (-12.091, -77.071), "150121": (-12.074, -77.063),
    "150122": (-12.121, -77.030), "150123": (-12.232, -76.860), "150124": (-12.481, -76.797),
    "150125": (-11.867, -77.077), "150126": (-12.334, -76.825), "150127": (-12.366, -76.797),
    "150128": (-12.029, -77.036), "150129": (-12.388, -76.780), "150130": (-12.101, -76.999),
    "150131": (-12.097, -77.036), "150132": (-11.976, -77.000), "150133": (-12.157, -76.972),
    "150134": (-12.076, -76.995), "150135": (-12.006, -77.085), "150136": (-12.077, -77.091),
    "150137": (-12.046, -76.971), "150138": (-12.403, -76.773), "150139": (-11.806, -77.166),
    "150140": (-12.145, -76.991), "150141": (-12.113, -77.013), "150142": (-12.213, -76.937),
    "150143": (-12.161, -76.937),
}

# Rounded demonstration population and surface (km²) per district.
POPULATION = {
    "150101": 268000, "150102": 63000, "150103": 599000, "150104": 34000, "150105": 85000,
    "150106": 333000, "150107": 43000, "150108": 314000, "150109": 35000, "150110": 525000,
    "150111": 199000, "150112": 211000, "150113": 75000, "150114": 141000, "150115": 174000,
    "150116": 55000, "150117": 326000, "150118": 241000, "150119": 89000, "150120": 60000,
    "150121": 83000, "150122": 99000, "150123": 110000, "150124": 17000, "150125": 330000,
    "150126": 16000, "150127": 8000, "150128": 175000, "150129": 8000, "150130": 113000,
    "150131": 61000, "150132": 1038000, "150133": 355000, "150134": 52000, "150135": 654000,
    "150136": 155000, "150137": 196000, "150138": 2000, "150139": 28000, "150140": 329000,
    "150141": 91000, "150142": 393000, "150143": 398000,
}
SURFACE_KM2 = {
    "150101": 21.98, "150102": 299.22, "150103": 77.72, "150104": 3.33, "150105": 3.22,
    "150106": 346.88, "150107": 39.50, "150108": 38.94, "150109": 240.33, "150110": 48.75,
    "150111": 12.54, "150112": 14.56, "150113": 4.57, "150114": 65.75, "150115": 8.74,
    "150116": 3.03, "150117": 18.25, "150118": 236.47, "150119": 181.12, "150120": 3.61,
    "150121": 4.38, "150122": 9.62, "150123": 160.23, "150124": 37.83, "150125": 71.18,
    "150126": 119.50, "150127": 130.50, "150128": 11.87, "150129": 45.01, "150130": 9.96,
    "150131": 11.10, "150132": 131.25, "150133": 23.98, "150134": 3.49, "150135": 36.91,
    "150136": 10.72, "150137": 10.69, "150138": 9.81, "150139": 21.50, "150140": 34.75,
    "150141": 3.46, "150142": 35.46, "150143": 70.57,
}

AVENUES = [
    ("Av. Abancay", "150101"), ("Av. Nicolás de Piérola", "150101"), ("Av. Tacna", "150101"),
    ("Jr. de la Unión", "150101"), ("Av. Grau", "150101"), ("Av. Arequipa", "150116"),
    ("Av. Arequipa", "150122"), ("Av. Larco", "150122"), ("Av. José Pardo", "150122"),
    ("Av. Javier Prado Este", "150130"), ("Av. Javier Prado Oeste", "150131"),
    ("Av. Salaverry", "150113"), ("Av. Brasil", "150113"), ("Av. Petit Thouars", "150116"),
    ("Av. Aviación", "150115"), ("Av. México", "150115"), ("Av. Venezuela", "150105"),
    ("Av. Arica", "150105"), ("Av. Tomás Marsano", "150141"), ("Av. Primavera", "150140"),
    ("Av. Caminos del Inca", "150140"), ("Av. Túpac Amaru", "150110"),
    ("Av. Universitaria", "150117"), ("Av. Carlos Izaguirre", "150117"),
    ("Av. Próceres de la Independencia", "150132"), ("Av. Wiesse", "150132"),
    ("Av. Nicolás Ayllón", "150103"), ("Av. Los Héroes", "150133"), ("Av. Pachacútec", "150143"),
    ("Av. Revolución", "150142"), ("Av. Defensores del Morro", "150108"),
    ("Av. Pedro de Osma", "150104"), ("Av. La Marina", "150136"), ("Av. Sucre", "150121"),
    ("Av. Riva Agüero", "150111"), ("Av. Amancaes", "150128"), ("Av. Canadá", "150134"),
    ("Av. Ruiseñores", "150137"), ("Av. Puente Piedra", "150125"), ("Av. La Molina", "150114"),
    ("Antigua Panamericana Sur", "150119"), ("Av. Manchay", "150123"),
    ("Carretera Central", "150118"), ("Av. Perú", "150135"), ("Av. Faustino Sánchez Carrión", "150120"),
    ("Av. Camino Real", "150131"), ("Av. Trapiche", "150106"), ("Av. Naranjal", "150112"),
]

MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]
MONTHS_2025_2026 = MONTHS_2025 + [f"2026-{m:02d}" for m in range(1, 11)]


def districts() -> dict[str, str]:
    with open(DISTRICTS_CSV, newline="", encoding="utf-8") as handle:
        return {row["ubigeo"]: row["name"] for row in csv.DictReader(handle)}


class Writer:
    def __init__(self, seed: int = 150101) -> None:
        self.rng = random.Random(seed)
        self.names = districts()
        FILES_DIR.mkdir(parents=True, exist_ok=True)

    # -- helpers ------------------------------------------------------------------------
    def point(self, ubigeo: str, spread: float = 0.012) -> tuple[float, float]:
        lat, lon = CENTRES[ubigeo]
        return (round(lat + self.rng.uniform(-spread, spread), 6),
                round(lon + self.rng.uniform(-spread, spread), 6))

    def date(self, start: str, end: str) -> str:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        return (first + dt.timedelta(days=self.rng.randint(0, (last - first).days))).isoformat()

    def avenue(self, among: Sequence[str] | None = None) -> tuple[str, str]:
        choices = [a for a in AVENUES if among is None or a[1] in among]
        return self.rng.choice(choices)

    def csv(self, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        rows = [list(row) for row in rows]
        with open(FILES_DIR / name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        return rows

    def json(self, name: str, data: Any) -> None:
        (FILES_DIR / name).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")

    def text(self, name: str, content: str) -> None:
        (FILES_DIR / name).write_text(content.strip() + "\n", encoding="utf-8")

    def points_geojson(self, name: str, header: Sequence[str], rows: list[list[Any]]) -> None:
        lat_i, lon_i = header.index("latitud"), header.index("longitud")
        features = [{
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row[lon_i], row[lat_i]]},
            "properties": {k: v for k, v in zip(header, row) if k not in ("latitud", "longitud")},
        } for row in rows]
        self.json(name, {"type": "FeatureCollection", "features": features})

    def xlsx(self, name: str, sheets: list[tuple[str, Sequence[str], list[list[Any]]]]) -> None:
        import openpyxl
        from openpyxl.styles import Font

        workbook = openpyxl.Workbook()
        workbook.remove(workbook.active)
        for title, header, rows in sheets:
            sheet = workbook.create_sheet(title)
            sheet.append(list(header))
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in rows:
                sheet.append(list(row))
        fixed = dt.datetime(2026, 11, 1, 12, 0, 0)
        workbook.properties.creator = "Open Lima (datos de demostración)"
        workbook.properties.created = fixed
        workbook.properties.modified = fixed
        buffer = io.BytesIO()
        workbook.save(buffer)
        # Re-zip with fixed entry dates, and the fixed modification date that openpyxl
        # overwrites with "now" on save, so that regenerating gives the same bytes.
        import re
        import zipfile

        with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
                zipfile.ZipFile(FILES_DIR / name, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=fixed.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                content = source.read(info.filename)
                if info.filename == "docProps/core.xml":
                    content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>"
                                     + fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), content)
                target.writestr(entry, content)

    def pdf(self, name: str, title: str, lines: Sequence[str]) -> None:
        """A one-page PDF 1.4 with Helvetica text (WinAnsi covers Spanish accents)."""
        def literal(text: str) -> bytes:
            raw = text.encode("cp1252")
            return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

        stream = [b"BT", b"/F2 16 Tf", b"56 780 Td", literal(title) + b" Tj", b"/F1 11 Tf", b"0 -28 Td"]
        for line in lines:
            stream.append(literal(line) + b" Tj")
            stream.append(b"0 -16 Td")
        stream.append(b"ET")
        content = b"\n".join(stream)
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
            b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            b"<< /Title " + literal(title) + b" /Producer (Open Lima) >>",
        ]
        out = io.BytesIO()
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
        xref = out.tell()
        out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
        for offset in offsets:
            out.write(f"{offset:010d} 00000 n \n".encode())
        out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 7 0 R >>\n"
                  f"startxref\n{xref}\n%%EOF\n".encode())
        (FILES_DIR / name).write_bytes(out.getvalue())

    # -- Gerencia de Transporte Urbano -------------------------------------------------
    def transport(self) -> None:
        corridors = ["Corredor Rojo", "Corredor Azul", "Corredor Morado", "Metropolitano alimentador",
                     "Ruta regular"]
        header = ["codigo", "nombre", "corredor", "distrito", "ubigeo", "latitud", "longitud", "techado"]
        among = ["150101", "150113", "150115", "150116", "150122", "150130", "150131", "150140", "150141"]
        rows = []
        for number in range(1, 41):
            avenue, ubigeo = self.avenue(among)
            lat, lon = self.point(ubigeo)
            cuadra = self.rng.randint(1, 45)
            rows.append([f"PAR-{number:04d}", f"{avenue} cuadra {cuadra}", self.rng.choice(corridors),
                         self.names[ubigeo], ubigeo, lat, lon, self.rng.choice(["sí", "no"])])
        self.points_geojson("paraderos.geojson", header, self.csv("paraderos.csv", header, rows))

        operators = ["Empresa de Transportes Santa Catalina S.A.", "Transportes El Rápido S.A.C.",
                     "Empresa de Transportes Unidos Chama S.A.", "Consorcio Vial Lima Sur S.A.C.",
                     "Empresa de Servicios Múltiples Nuevo Amanecer S.A.",
                     "Transportes Señor de los Milagros S.A.", "Empresa de Transportes Nueva América S.A."]
        header = ["codigo_ruta", "empresa_operadora", "distrito_origen", "ubigeo_origen",
                  "distrito_destino", "ubigeo_destino", "longitud_km", "flota_autorizada", "tipo_servicio"]
        rows, codes = [], list(self.names)
        for number in range(1, 26):
            origin, destination = self.rng.sample(codes, 2)
            rows.append([f"{self.rng.choice('ABCDEIO')}{number:02d}{self.rng.randint(1, 9)}",
                         self.rng.choice(operators), self.names[origin], origin,
                         self.names[destination], destination,
                         round(self.rng.uniform(14, 62), 1), self.rng.randint(18, 120),
                         self.rng.choice(["urbano", "interurbano"])])
        self.csv("rutas.csv", header, rows)
        self.json("rutas.json", {"fuente": "Gerencia de Transporte Urbano - MML",
                                 "rutas": [dict(zip(header, row)) for row in rows]})

        header = ["fecha", "actividad", "lugar", "distrito", "ubigeo", "publico_objetivo", "participantes"]
        places = ["I.E. José Olaya", "I.E. Mariscal Castilla", "I.E. Nuestra Señora de Guadalupe",
                  "Mercado Central", "Paradero Plaza Dos de Mayo", "I.E. Fe y Alegría 12",
                  "Estación Naranjal", "Parque Zonal Sinchi Roca"]
        activities = ["Taller de cruce seguro", "Charla de seguridad vial", "Simulación de tránsito",
                      "Campaña Respeta al peatón", "Formación de policías escolares"]
        audiences = ["escolares de primaria", "escolares de secundaria", "conductores", "peatones",
                     "docentes"]
        among = ["150101", "150103", "150110", "150117", "150132", "150135", "150142"]
        rows = sorted([[self.date("2025-03-01", "2026-10-31"), self.rng.choice(activities),
                        self.rng.choice(places), self.names[u], u, self.rng.choice(audiences),
                        self.rng.randint(25, 420)] for u in (self.rng.choice(among) for _ in range(30))])
        self.csv("campanas_educacion_vial.csv", header, rows)
        self.pdf("guia_seguridad_vial_escolar.pdf", "Guía de seguridad vial para escolares", [
            "Municipalidad Metropolitana de Lima - Gerencia de Transporte Urbano",
            "",
            "1. Cruza siempre por el crucero peatonal y con el semáforo en verde.",
            "2. Mira a la izquierda, a la derecha y otra vez a la izquierda antes de cruzar.",
            "3. Camina por la vereda; si no hay vereda, por el borde frente a los vehículos.",
            "4. Sube y baja del bus solo en los paraderos autorizados.",
            "5. En bicicleta usa casco, luces y la ciclovía cuando exista.",
            "6. Nunca juegues en la pista ni cerca de vehículos estacionados.",
            "",
            "Docentes y familias: refuercen estas reglas con el ejemplo diario.",
            "Documento de demostración de Open Lima.",
        ])

        header = ["codigo_tramo", "via", "distrito", "ubigeo", "tipo", "longitud_m", "estado"]
        among = ["150101", "150104", "150108", "150116", "150122", "150130", "150131", "150136", "150140"]
        rows, lines = [], []
        for number in range(1, 21):
            avenue, ubigeo = self.avenue(among)
            start, end = self.point(ubigeo), self.point(ubigeo)
            row = [f"CV-{number:03d}", avenue, self.names[ubigeo], ubigeo,
                   self.rng.choice(["segregada", "compartida", "emergente"]),
                   self.rng.randint(300, 4200), self.rng.choice(["bueno", "regular", "malo"])]
            rows.append(row)
            lines.append({"type": "Feature",
                          "geometry": {"type": "LineString",
                                       "coordinates": [[start[1], start[0]], [end[1], end[0]]]},
                          "properties": dict(zip(header, row))})
        self.csv("ciclovias.csv", header, rows)
        self.json("ciclovias.geojson", {"type": "FeatureCollection", "features": lines})

        header = ["mes", "ubigeo", "distrito", "choques", "atropellos", "despistes", "volcaduras",
                  "lesionados", "fallecidos"]
        among = ["150101", "150103", "150110", "150117", "150132", "150135", "150140", "150142"]
        rows = []
        for month in MONTHS_2025:
            for ubigeo in among:
                crashes = [self.rng.randint(20, 140), self.rng.randint(5, 45), self.rng.randint(2, 20),
                           self.rng.randint(0, 6)]
                rows.append([month, ubigeo, self.names[ubigeo], *crashes,
                             int(sum(crashes) * self.rng.uniform(0.4, 0.8)), self.rng.randint(0, 4)])
        self.csv("siniestros_transito.csv", header, rows)
        summary = []
        for ubigeo in among:
            mine = [row for row in rows if row[1] == ubigeo]
            summary.append([ubigeo, self.names[ubigeo], sum(sum(r[3:7]) for r in mine),
                            sum(r[7] for r in mine), sum(r[8] for r in mine)])
        self.xlsx("siniestros_transito.xlsx", [
            ("siniestros", header, rows),
            ("resumen_distrito", ["ubigeo", "distrito", "siniestros", "lesionados", "fallecidos"], summary),
        ])

        header = ["codigo", "interseccion", "distrito", "ubigeo", "fases", "semaforo_sonoro",
                  "anio_instalacion"]
        among = ["150101", "150105", "150113", "150115", "150116", "150128"]
        rows = []
        for number in range(1, 31):
            first, ubigeo = self.avenue(among)
            second = self.rng.choice([a for a, _ in AVENUES if a != first])
            rows.append([f"SEM-{number:04d}", f"{first} / {second}", self.names[ubigeo], ubigeo,
                         self.rng.randint(2, 4), self.rng.choice(["sí", "no", "no"]),
                         self.rng.randint(1998, 2025)])
        self.csv("semaforos.csv", header, rows)

    # -- Gerencia de Desarrollo Urbano --------------------------------------------------
    def urban(self) -> None:
        header = ["numero_licencia", "fecha_emision", "modalidad", "uso", "direccion", "ubigeo",
                  "distrito", "pisos", "area_techada_m2"]
        uses = ["vivienda multifamiliar", "comercio", "oficinas", "educación", "hospedaje", "vivienda unifamiliar"]
        rows = []
        for number in range(1, 41):
            avenue, _ = self.avenue(["150101"])
            floors = self.rng.randint(2, 15)
            rows.append([f"LE-{2025 + number // 25}-{number:04d}", self.date("2025-01-02", "2026-10-31"),
                         self.rng.choice("ABCD"), self.rng.choice(uses),
                         f"{avenue} {self.rng.randint(100, 1900)}", "150101", "Lima", floors,
                         round(floors * self.rng.uniform(90, 600), 2)])
        self.csv("licencias_edificacion.csv", header, sorted(rows, key=lambda r: r[1]))

        header = ["resolucion", "fecha", "tipo", "ubigeo", "distrito", "area_bruta_ha", "lotes"]
        among = ["150102", "150106", "150109", "150118", "150119", "150123", "150125"]
        rows = []
        for number in range(1, 21):
            ubigeo = self.rng.choice(among)
            rows.append([f"RS-{number:03d}-2025-MML/GDU", self.date("2024-01-10", "2026-09-30"),
                         self.rng.choice(["nueva", "de oficio", "regularización"]), ubigeo,
                         self.names[ubigeo], round(self.rng.uniform(0.8, 42), 2), self.rng.randint(12, 640)])
        self.csv("habilitaciones_urbanas.csv", header, sorted(rows, key=lambda r: r[1]))

        header = ["numero_certificado", "fecha", "zonificacion", "altura_maxima_pisos", "plazo_dias_habiles"]
        zones = [("CM", 12), ("CZ", 8), ("RDM", 5), ("RDA", 10), ("ZRE", 4), ("OU", 6), ("E1", 4)]
        rows = []
        for number in range(1, 31):
            zone, height = self.rng.choice(zones)
            rows.append([f"CPU-{number:04d}-2025", self.date("2025-01-02", "2025-12-30"), zone, height,
                         self.rng.randint(3, 9)])
        self.csv("parametros_urbanisticos.csv", header, sorted(rows, key=lambda r: r[1]))

    # -- Gerencia de Servicios a la Ciudad y Gestión Ambiental ---------------------------
    def environment(self) -> None:
        header = ["ubigeo", "distrito", "area_verde_m2", "poblacion_estimada", "m2_por_habitante",
                  "cumple_estandar_oms"]
        rows = []
        for ubigeo, name in self.names.items():
            per_person = round(self.rng.uniform(0.8, 4.5) if POPULATION[ubigeo] > 150000
                               else self.rng.uniform(2.5, 12), 2)
            if ubigeo in ("150131", "150122", "150130", "150114"):
                per_person = round(self.rng.uniform(9.5, 18), 2)
            area = round(per_person * POPULATION[ubigeo])
            rows.append([ubigeo, name, area, POPULATION[ubigeo], per_person,
                         "sí" if per_person >= 9 else "no"])
        self.csv("areas_verdes_distrito.csv", header, rows)
        self.json("areas_verdes_distrito.json", {
            "unidad": "m²", "estandar_m2_por_habitante": 9,
            "distritos": [dict(zip(header, row)) for row in rows]})

        header = ["mes", "ubigeo", "distrito", "domiciliarios_t", "barrido_t", "reaprovechables_t"]
        among = ["150101", "150105", "150111", "150115", "150128"]
        rows = []
        for month in MONTHS_2025_2026:
            for ubigeo in among:
                base = POPULATION[ubigeo] * 0.028
                rows.append([month, ubigeo, self.names[ubigeo], round(base * self.rng.uniform(0.9, 1.1), 1),
                             round(base * self.rng.uniform(0.12, 0.2), 1),
                             round(base * self.rng.uniform(0.02, 0.06), 1)])
        self.csv("recoleccion_residuos.csv", header, rows)

        stations = [("EST-01", "Campo de Marte", "150113"), ("EST-02", "Ate", "150103"),
                    ("EST-03", "San Borja", "150130"), ("EST-04", "Carabayllo", "150106"),
                    ("EST-05", "San Juan de Lurigancho", "150132"), ("EST-06", "Villa El Salvador", "150142")]
        header = ["fecha", "estacion", "ubigeo", "distrito", "pm10_ugm3", "pm2_5_ugm3", "no2_ugm3"]
        rows = []
        for day in range(1, 32):
            for code, _, ubigeo in stations:
                pm10 = round(self.rng.uniform(28, 118), 1)
                rows.append([f"2026-10-{day:02d}", code, ubigeo, self.names[ubigeo], pm10,
                             round(pm10 * self.rng.uniform(0.3, 0.55), 1), round(self.rng.uniform(8, 46), 1)])
        self.csv("calidad_aire.csv", header, rows)
        self.json("calidad_aire_estaciones.json", [
            {"codigo": code, "nombre": name, "ubigeo": ubigeo, "distrito": self.names[ubigeo],
             "latitud": self.point(ubigeo, 0.004)[0], "longitud": self.point(ubigeo, 0.004)[1],
             "contaminantes": ["PM10", "PM2.5", "NO2"]} for code, name, ubigeo in stations])
        self.text("calidad_aire_metodologia.txt", """
Nota metodológica - Calidad del aire en Lima Metropolitana (datos de demostración)

Contaminantes: material particulado PM10 y PM2.5 y dióxido de nitrógeno (NO2).
Unidad: microgramos por metro cúbico (µg/m³), condiciones de referencia.
Promedio: media aritmética de 24 horas de los registros horarios válidos; un día se
publica si tiene al menos 18 horas válidas (75 %).
Referencia: Estándares de Calidad Ambiental (ECA) para aire del Perú, D.S. 003-2017-MINAM:
PM10 100 µg/m³ (24 h), PM2.5 50 µg/m³ (24 h), NO2 200 µg/m³ (1 h).
Columnas del CSV: fecha (AAAA-MM-DD), estacion, ubigeo, distrito, pm10_ugm3,
pm2_5_ugm3, no2_ugm3.
""")

        parks = [("Parque Zonal Huiracocha", "150132", 28.5), ("Parque Zonal Sinchi Roca", "150110", 42.0),
                 ("Parque Zonal Lloque Yupanqui", "150117", 10.3), ("Parque Zonal Huáscar", "150142", 26.0),
                 ("Parque Zonal Manco Cápac", "150106", 9.2), ("Parque Zonal Cahuide", "150137", 14.6),
                 ("Parque Zonal Cápac Yupanqui", "150135", 8.1), ("Parque Zonal Mayta Cápac", "150135", 11.4),
                 ("Parque Zonal Flor de Amancaes", "150143", 13.7)]
        header = ["nombre", "ubigeo", "distrito", "area_ha", "piscina", "losas_deportivas",
                  "juegos_infantiles", "horario", "latitud", "longitud"]
        rows = []
        for name, ubigeo, area in parks:
            lat, lon = self.point(ubigeo, 0.006)
            rows.append([name, ubigeo, self.names[ubigeo], area, self.rng.choice(["sí", "no"]),
                         self.rng.randint(2, 14), "sí", "martes a domingo de 9:00 a 17:00", lat, lon])
        self.points_geojson("parques_zonales.geojson", header, self.csv("parques_zonales.csv", header, rows))

        header = ["codigo", "direccion", "ubigeo", "distrito", "materiales", "horario"]
        among = ["150101", "150104", "150113", "150116", "150121", "150122", "150136"]
        materials = ["papel y cartón", "plástico PET", "vidrio", "latas", "aparatos eléctricos",
                     "aceite vegetal usado", "pilas"]
        rows = []
        for number in range(1, 21):
            avenue, ubigeo = self.avenue(among)
            rows.append([f"PL-{number:03d}", f"{avenue} {self.rng.randint(100, 2500)}", ubigeo,
                         self.names[ubigeo], "; ".join(sorted(self.rng.sample(materials, 3))),
                         self.rng.choice(["lunes a sábado de 8:00 a 18:00", "sábados de 9:00 a 13:00"])])
        self.csv("puntos_reciclaje.csv", header, rows)

        species = [("Molle costeño", "Schinus terebinthifolius"), ("Ficus", "Ficus benjamina"),
                   ("Jacarandá", "Jacaranda mimosifolia"), ("Tipa", "Tipuana tipu"),
                   ("Huarango", "Prosopis pallida"), ("Palmera datilera", "Phoenix dactylifera"),
                   ("Ponciana", "Delonix regia"), ("Árbol de la quina", "Cinchona officinalis")]
        places = ["Plaza San Martín", "Plaza Italia", "Parque de la Reserva", "Av. Abancay",
                  "Parque Universitario", "Alameda Chabuca Granda", "Plaza Bolognesi"]
        header = ["codigo_arbol", "ubicacion", "nombre_comun", "nombre_cientifico", "altura_m",
                  "diametro_cm", "estado_fitosanitario"]
        rows = []
        for number in range(1, 61):
            common, scientific = self.rng.choice(species)
            rows.append([f"ARB-{number:05d}", self.rng.choice(places), common, scientific,
                         round(self.rng.uniform(2, 18), 1), self.rng.randint(8, 95),
                         self.rng.choice(["bueno", "bueno", "regular", "malo"])])
        self.csv("arbolado_urbano.csv", header, rows)

    # -- Subgerencia de Gobierno Digital e Innovación -------------------------------------
    def digital(self) -> None:
        rows = [[ubigeo, name] for ubigeo, name in self.names.items()]
        self.csv("distritos_lima.csv", ["ubigeo", "nombre"], rows)
        self.json("distritos_lima.json", {
            "provincia": "Lima", "ubigeo_provincia": "1501",
            "distritos": [{"ubigeo": u, "nombre": n} for u, n in rows]})

        header = ["codigo", "lugar", "ubigeo", "distrito", "latitud", "longitud", "velocidad_mbps"]
        places = ["Plaza de Armas", "Plaza San Martín", "Parque de la Exposición", "Biblioteca Municipal",
                  "Alameda de los Descalzos", "Parque de la Muralla", "Plaza Dos de Mayo", "Parque Universitario"]
        among = ["150101", "150105", "150115", "150128"]
        rows = []
        for number in range(1, 21):
            ubigeo = self.rng.choice(among)
            lat, lon = self.point(ubigeo, 0.008)
            rows.append([f"WIFI-{number:03d}", self.rng.choice(places), ubigeo, self.names[ubigeo],
                         lat, lon, self.rng.choice([50, 100, 200])])
        self.csv("wifi_gratuito.csv", header, rows)

        assets = [("Padrón de comercio ambulatorio autorizado", "GFC", "CSV", "Mensual", "no"),
                  ("Paraderos del transporte público", "GTU", "CSV", "Mensual", "sí"),
                  ("Licencias de funcionamiento", "GDU", "XLSX", "Mensual", "no"),
                  ("Áreas verdes por distrito", "GSCGA", "CSV", "Anual", "sí"),
                  ("Incidencias del Serenazgo", "GSC", "CSV", "Mensual", "sí"),
                  ("Ejecución presupuestal", "GAF", "XLSX", "Mensual", "sí"),
                  ("Registro de organizaciones sociales", "GPV", "CSV", "Trimestral", "sí"),
                  ("Calidad del aire", "GSCGA", "CSV", "Diaria", "sí"),
                  ("Mercados de abastos", "IMP", "SHP", "Anual", "sí"),
                  ("Expedientes de trámite documentario", "SGDI", "base de datos", "Continua", "no"),
                  ("Rutas del transporte regular", "GTU", "CSV", "Trimestral", "sí"),
                  ("Zonas de riesgo ante sismo y tsunami", "GGRD", "GeoJSON", "Irregular", "sí"),
                  ("Comedores populares", "GDS", "CSV", "Trimestral", "sí"),
                  ("Contrataciones menores a 8 UIT", "GAF", "PDF", "Mensual", "no"),
                  ("Arbolado urbano del Cercado", "GSCGA", "CSV", "Irregular", "sí")]
        header = ["codigo", "nombre", "oficina", "formato", "frecuencia", "publicado_en_open_lima"]
        rows = [[f"AD-{i:03d}", *asset] for i, asset in enumerate(assets, start=1)]
        self.csv("inventario_activos_datos.csv", header, rows)
        xml = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<inventario entidad="Municipalidad Metropolitana de Lima" fecha_corte="2026-09-30">']
        for row in rows:
            xml.append(f'  <activo codigo="{row[0]}">')
            for key, value in zip(header[1:], row[1:]):
                xml.append(f"    <{key}>{escape(str(value))}</{key}>")
            xml.append("  </activo>")
        xml.append("</inventario>")
        self.text("inventario_activos_datos.xml", "\n".join(xml))
        self.text("diccionario_inventario.txt", """
Diccionario de datos - Inventario de activos de datos de la MML

codigo                  Identificador del activo en el inventario (AD-nnn).
nombre                  Nombre del activo de datos.
oficina                 Sigla de la gerencia o subgerencia responsable.
formato                 Formato en que la oficina mantiene hoy los datos.
frecuencia              Frecuencia de actualización declarada por la oficina.
publicado_en_open_lima  "sí" si el activo ya se publica en el portal Open Lima.
""")

        procedures = [("Licencia de funcionamiento para establecimientos de riesgo bajo", "GDU", 0, 2),
                      ("Certificado de parámetros urbanísticos y edificatorios", "GDU", 89.5, 5),
                      ("Autorización de anuncio publicitario", "GDU", 112.3, 10),
                      ("Constancia de posesión", "GDU", 45.0, 15),
                      ("Reconocimiento de junta vecinal", "GPV", 0, 30),
                      ("Inscripción en el registro de organizaciones sociales", "GPV", 0, 15),
                      ("Acceso a la información pública", "SGDI", 0, 10),
                      ("Duplicado de papeleta de infracción", "GFC", 7.8, 3),
                      ("Permiso de operación para transporte regular", "GTU", 356.2, 30),
                      ("Tarjeta de circulación de vehículo de transporte", "GTU", 24.7, 7),
                      ("Autorización para eventos en espacios públicos", "GSCGA", 64.0, 10),
                      ("Certificado de inspección técnica de seguridad en edificaciones", "GGRD", 150.4, 9)]
        self.json("tramites_en_linea.json", [
            {"tramite": name, "oficina": office, "costo_soles": cost, "plazo_dias_habiles": days,
             "enlace": "https://www.gob.pe/munilima"}
            for name, office, cost, days in procedures])

    # -- Gerencia de Seguridad Ciudadana --------------------------------------------------
    def security(self) -> None:
        among = ["150101", "150105", "150115", "150128"]
        header = ["codigo_camara", "ubicacion", "ubigeo", "distrito", "tipo", "operativa"]
        rows = []
        for number in range(1, 41):
            avenue, _ = self.avenue(["150101", "150105", "150115", "150128"])
            ubigeo = self.rng.choice(among)
            rows.append([f"CAM-{number:04d}", f"{avenue} cuadra {self.rng.randint(1, 30)}", ubigeo,
                         self.names[ubigeo], self.rng.choice(["fija", "domo PTZ"]),
                         self.rng.choice(["sí", "sí", "sí", "no"])])
        self.csv("camaras_videovigilancia.csv", header, rows)

        header = ["mes", "ubigeo", "distrito", "robo_hurto", "violencia_familiar", "alcohol_via_publica",
                  "ruidos_molestos", "apoyo_emergencias"]
        rows = []
        for month in MONTHS_2025_2026:
            for ubigeo in among:
                scale = POPULATION[ubigeo] / 100000
                rows.append([month, ubigeo, self.names[ubigeo],
                             *(round(scale * self.rng.uniform(low, high))
                               for low, high in ((40, 90), (8, 25), (15, 45), (10, 35), (20, 60)))])
        self.csv("incidencias_serenazgo.csv", header, rows)

        header = ["sector", "turno", "unidades_moviles", "efectivos", "observacion"]
        rows = [[f"Sector {n}", turno, self.rng.randint(2, 6), self.rng.randint(6, 20),
                 "Uso interno: patrullaje integrado con comisaría"]
                for n in range(1, 7) for turno in ("mañana", "noche")]
        self.csv("patrullaje_interno.csv", header, rows)

    # -- Gerencia de Desarrollo Social ------------------------------------------------------
    def social(self) -> None:
        among = ["150103", "150106", "150110", "150111", "150125", "150132", "150133", "150142", "150143"]
        header = ["codigo", "nombre", "ubigeo", "distrito", "raciones_diarias", "tipo_apoyo"]
        names = ["Santa Rosa", "Virgen de Fátima", "Las Flores", "Nuevo Progreso", "Sagrado Corazón",
                 "Mujeres Unidas", "San Martín", "Señor de los Milagros", "Villa Hermosa", "Micaela Bastidas"]
        rows = []
        for number in range(1, 41):
            ubigeo = self.rng.choice(among)
            rows.append([f"CP-{number:04d}", f"Comedor Popular {self.rng.choice(names)}", ubigeo,
                         self.names[ubigeo], self.rng.randint(40, 180),
                         self.rng.choice(["víveres", "víveres y subsidio", "subsidio"])])
        self.csv("comedores_populares.csv", header, rows)

        among = ["150102", "150106", "150109", "150118", "150125", "150132", "150133", "150142", "150143"]
        header = ["codigo", "nombre", "ubigeo", "distrito", "beneficiarios", "recibe_apoyo_municipal",
                  "fecha_registro"]
        rows = []
        for number in range(1, 41):
            ubigeo = self.rng.choice(among)
            rows.append([f"OC-{number:04d}", f"Olla Común {self.rng.choice(names)} {self.rng.randint(1, 9)}",
                         ubigeo, self.names[ubigeo], self.rng.randint(30, 220),
                         self.rng.choice(["sí", "no"]), self.date("2024-06-01", "2026-10-31")])
        self.xlsx("ollas_comunes.xlsx", [("ollas_comunes", header, self.csv("ollas_comunes.csv", header, rows))])

        header = ["nombre", "direccion", "ubigeo", "distrito", "talleres", "inscritos"]
        workshops = ["memoria", "danza", "computación", "tejido", "taichí", "teatro", "huerto urbano"]
        centres = [("CIAM Cercado de Lima", "150101"), ("CIAM Barrios Altos", "150101"),
                   ("CIAM Pueblo Libre", "150121"), ("CIAM Rímac", "150128"),
                   ("CIAM San Luis", "150134"), ("CIAM Santa Anita", "150137"),
                   ("CIAM Monserrate", "150101"), ("CIAM Flor de Amancaes", "150128")]
        rows = []
        for name, ubigeo in centres:
            avenue, _ = self.avenue()
            rows.append([name, f"{avenue} {self.rng.randint(100, 1500)}", ubigeo, self.names[ubigeo],
                         "; ".join(sorted(self.rng.sample(workshops, 3))), self.rng.randint(80, 640)])
        self.csv("ciam.csv", header, rows)

    # -- Gerencia de Participación Vecinal --------------------------------------------------
    def participation(self) -> None:
        axes = ["movilidad y transporte", "áreas verdes y ambiente", "seguridad ciudadana",
                "infraestructura urbana", "desarrollo social"]
        works = {"movilidad y transporte": ["Mejoramiento de veredas en", "Señalización vial en",
                                            "Ciclovía de conexión en"],
                 "áreas verdes y ambiente": ["Recuperación del parque de", "Sistema de riego en",
                                             "Arborización de bermas en"],
                 "seguridad ciudadana": ["Iluminación LED en", "Cámaras de videovigilancia en",
                                         "Módulo de serenazgo en"],
                 "infraestructura urbana": ["Muro de contención en", "Escaleras de acceso en",
                                            "Losa multideportiva en"],
                 "desarrollo social": ["Local comunal en", "Centro del adulto mayor en",
                                       "Ludoteca infantil en"]}
        header = ["codigo", "proyecto", "eje_tematico", "ubigeo", "distrito", "monto_soles", "votos",
                  "estado"]
        rows = []
        codes = list(self.names)
        for number in range(1, 25):
            axis, ubigeo = self.rng.choice(axes), self.rng.choice(codes)
            rows.append([f"PP-2026-{number:03d}", f"{self.rng.choice(works[axis])} {self.names[ubigeo]}",
                         axis, ubigeo, self.names[ubigeo], self.rng.randrange(150000, 2400000, 500),
                         self.rng.randint(40, 900),
                         self.rng.choice(["priorizado", "en expediente técnico", "en ejecución"])])
        rows.sort(key=lambda r: -r[6])
        self.csv("presupuesto_participativo_proyectos.csv", header, rows)
        self.json("presupuesto_participativo.json", {
            "proceso": "Presupuesto participativo 2026", "moneda": "PEN",
            "proyectos": [dict(zip(header, row)) for row in rows]})
        summary = [[axis, sum(1 for r in rows if r[2] == axis), sum(r[5] for r in rows if r[2] == axis)]
                   for axis in axes]
        self.xlsx("presupuesto_participativo_resumen.xlsx", [
            ("resumen_por_eje", ["eje_tematico", "proyectos", "monto_soles"], summary),
            ("proyectos", header, rows)])
        self.pdf("reglamento_presupuesto_participativo.pdf",
                 "Presupuesto participativo 2026 - Reglamento (resumen)", [
                     "Municipalidad Metropolitana de Lima - Gerencia de Participación Vecinal",
                     "",
                     "Artículo 1. Objeto: definir las fases del proceso del presupuesto participativo.",
                     "Artículo 2. Participan las organizaciones sociales inscritas en el RUOS y",
                     "los agentes participantes acreditados de los 43 distritos.",
                     "Artículo 3. Fases: preparación, concertación, coordinación y formalización.",
                     "Artículo 4. Cada agente participante prioriza hasta tres proyectos.",
                     "Artículo 5. Los resultados se publican como datos abiertos en Open Lima.",
                     "",
                     "Documento de demostración de Open Lima.",
                 ])

        header = ["codigo", "sector", "ubigeo", "distrito", "fecha_reconocimiento", "vigencia_hasta"]
        sectors = ["Barrios Altos", "Monserrate", "Santo Cristo", "Chacra Colorada", "Conde de la Vega",
                   "Mirones", "Cercado Norte", "Palomino", "Santa Beatriz", "Unidad Vecinal N.º 3"]
        rows = []
        for number in range(1, 26):
            recognised = self.date("2023-01-01", "2026-09-30")
            until = dt.date.fromisoformat(recognised) + dt.timedelta(days=730)
            rows.append([f"JV-{number:04d}", f"{self.rng.choice(sectors)} {self.rng.randint(1, 12)}",
                         "150101", "Lima", recognised, until.isoformat()])
        self.csv("juntas_vecinales.csv", header, sorted(rows, key=lambda r: r[4]))

        header = ["codigo_ruos", "tipo_organizacion", "ubigeo", "distrito", "fecha_inscripcion",
                  "miembros"]
        kinds = ["club de madres", "comité de vaso de leche", "asociación juvenil", "comedor popular",
                 "asociación de adultos mayores", "asociación cultural"]
        among = ["150101", "150103", "150110", "150132", "150135"]
        rows = []
        for number in range(1, 41):
            ubigeo = self.rng.choice(among)
            rows.append([f"RUOS-{number:05d}", self.rng.choice(kinds), ubigeo, self.names[ubigeo],
                         self.date("2025-01-02", "2026-09-30"), self.rng.randint(12, 180)])
        self.csv("organizaciones_sociales.csv", header, sorted(rows, key=lambda r: r[4]))

    # -- Gerencia de Fiscalización y Control --------------------------------------------
    def enforcement(self) -> None:
        header = ["fecha", "zona", "giro", "establecimientos_inspeccionados", "clausuras", "decomisos"]
        zones = ["Mesa Redonda", "Mercado Central", "Barrios Altos", "Av. Abancay", "Jr. Ucayali",
                 "Las Malvinas", "Jr. de la Unión"]
        trades = ["venta de pirotécnicos", "restaurantes", "discotecas y bares", "ferreterías",
                  "galerías comerciales", "venta de alimentos"]
        rows = sorted([[self.date("2026-01-02", "2026-10-31"), self.rng.choice(zones),
                        self.rng.choice(trades), n, self.rng.randint(0, n // 4), self.rng.randint(0, 6)]
                       for n in (self.rng.randint(4, 40) for _ in range(40))])
        self.csv("operativos_fiscalizacion.csv", header, rows)

        codes = [("01-101", "Funcionar sin licencia de funcionamiento", 4.0),
                 ("01-205", "No exhibir el certificado de inspección técnica", 1.0),
                 ("02-301", "Comercio ambulatorio no autorizado", 0.5),
                 ("03-110", "Arrojar residuos sólidos en la vía pública", 0.3),
                 ("04-402", "Obra sin licencia de edificación", 10.0),
                 ("05-150", "Ruidos molestos que superan los límites permitidos", 2.0)]
        uit = 5350
        header = ["mes", "codigo_cuis", "descripcion", "notificaciones", "monto_multas_soles"]
        rows = []
        for month in MONTHS_2025:
            for code, description, factor in codes:
                count = self.rng.randint(4, 160)
                rows.append([month, code, description, count, round(count * factor * uit * 0.1, 2)])
        self.csv("infracciones_administrativas.csv", header, rows)

    # -- Gerencia de Administración y Finanzas ------------------------------------------
    def finance(self) -> None:
        functions = ["Planeamiento, gestión y reserva de contingencia", "Orden público y seguridad",
                     "Transporte", "Ambiente", "Vivienda y desarrollo urbano", "Salud", "Cultura y deporte",
                     "Educación", "Protección social", "Previsión social", "Deuda pública", "Comercio",
                     "Saneamiento", "Turismo"]
        header = ["anio", "mes_corte", "unidad_ejecutora", "funcion", "pim_soles", "devengado_soles",
                  "avance_porcentaje"]
        rows = []
        for function in functions:
            for unit in ("001 MML - Sede central", "002 Programa de Gobierno Regional de Lima Metropolitana"):
                pim = self.rng.randrange(4_000_000, 420_000_000, 1000)
                accrued = round(pim * self.rng.uniform(0.45, 0.88), 2)
                rows.append([2026, "2026-10", unit, function, pim, accrued, round(100 * accrued / pim, 1)])
        self.xlsx("ejecucion_presupuestal.xlsx", [
            ("ejecucion", header, self.csv("ejecucion_presupuestal.csv", header, rows))])

        sources = [("Impuesto predial", 38_000_000), ("Impuesto de alcabala", 21_000_000),
                   ("Tasas y derechos administrativos", 9_500_000), ("Multas y sanciones", 6_200_000),
                   ("Transferencias del gobierno nacional", 55_000_000)]
        header = ["mes", "fuente", "monto_soles"]
        rows = [[month, source, round(base * self.rng.uniform(0.75, 1.3), 2)]
                for month in MONTHS_2025_2026 for source, base in sources]
        self.csv("ingresos_municipales.csv", header, rows)

    # -- Instituto Metropolitano de Planificación ---------------------------------------
    def planning(self) -> None:
        header = ["ubigeo", "distrito", "poblacion_total", "hombres", "mujeres", "de_0_a_14", "de_15_a_64",
                  "de_65_a_mas", "superficie_km2", "densidad_hab_km2"]
        rows = []
        for ubigeo, name in self.names.items():
            total = POPULATION[ubigeo]
            men = round(total * self.rng.uniform(0.47, 0.5))
            young, old = round(total * self.rng.uniform(0.18, 0.27)), round(total * self.rng.uniform(0.07, 0.15))
            rows.append([ubigeo, name, total, men, total - men, young, total - young - old, old,
                         SURFACE_KM2[ubigeo], round(total / SURFACE_KM2[ubigeo], 1)])
        self.csv("poblacion_distritos.csv", header, rows)

        header = ["codigo", "nombre", "ubigeo", "distrito", "puestos", "gestion", "latitud", "longitud"]
        among = ["150101", "150103", "150110", "150115", "150117", "150132", "150135", "150142"]
        markets = ["Mercado Central", "Mercado Modelo", "Mercado N.º 1", "Mercado Unicachi",
                   "Mercado Santa Rosa", "Mercado Los Ángeles", "Mercado Virgen de las Mercedes",
                   "Mercado San José"]
        rows = []
        for number in range(1, 31):
            ubigeo = self.rng.choice(among)
            lat, lon = self.point(ubigeo)
            rows.append([f"MER-{number:03d}", f"{self.rng.choice(markets)} de {self.names[ubigeo]}", ubigeo,
                         self.names[ubigeo], self.rng.randint(40, 900),
                         self.rng.choice(["privada", "cooperativa", "municipal"]), lat, lon])
        self.points_geojson("mercados.geojson", header, self.csv("mercados.csv", header, rows))

        indicators = [("Movilidad", "Tiempo promedio de viaje al trabajo (minutos)", 72, 55),
                      ("Movilidad", "Kilómetros de ciclovías", 170, 400),
                      ("Ambiente", "Área verde por habitante (m²)", 3.1, 6.0),
                      ("Ambiente", "Residuos sólidos reaprovechados (%)", 2.5, 15.0),
                      ("Vivienda", "Hogares en viviendas con déficit cualitativo (%)", 28.0, 18.0),
                      ("Seguridad", "Victimización por delito (%)", 31.0, 22.0),
                      ("Gobernanza", "Trámites disponibles en línea (%)", 22.0, 80.0),
                      ("Gobernanza", "Conjuntos de datos abiertos publicados", 12, 300),
                      ("Riesgo", "Población en zonas de riesgo alto con plan de evacuación (%)", 35.0, 90.0),
                      ("Social", "Comedores y ollas comunes con apoyo municipal (%)", 48.0, 85.0)]
        header = ["eje", "indicador", "linea_base_2022", "meta_2030", "valor_2025"]
        rows = [[axis, name, base, goal, round(base + (goal - base) * self.rng.uniform(0.1, 0.5), 1)]
                for axis, name, base, goal in indicators]
        self.csv("indicadores_pdm.csv", header, rows)

    # -- Gerencia de Gestión del Riesgo de Desastres -------------------------------------
    def risk(self) -> None:
        coast = ["150104", "150108", "150119", "150120", "150122", "150124", "150126", "150127",
                 "150129", "150136", "150138"]
        features = []
        for number, ubigeo in enumerate(coast, start=1):
            lat, lon = CENTRES[ubigeo]
            size = 0.006
            ring = [[round(lon - size, 5), round(lat - size, 5)], [round(lon + size, 5), round(lat - size, 5)],
                    [round(lon + size, 5), round(lat + size, 5)], [round(lon - size, 5), round(lat + size, 5)],
                    [round(lon - size, 5), round(lat - size, 5)]]
            features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                             "properties": {"codigo": f"ZR-{number:03d}", "ubigeo": ubigeo,
                                            "distrito": self.names[ubigeo],
                                            "peligro": self.rng.choice(["sismo", "tsunami", "sismo y tsunami"]),
                                            "nivel_riesgo": self.rng.choice(["alto", "muy alto"]),
                                            "ruta_evacuacion": f"Hacia {self.avenue()[0]} (zona alta)"}})
        self.json("zonas_riesgo.geojson", {"type": "FeatureCollection", "features": features})
        self.text("zonas_riesgo_nota.txt", """
Nota de uso - Zonas de riesgo ante sismo y tsunami (datos de demostración)

Los polígonos son aproximaciones para planificación y difusión, no delimitaciones oficiales.
Ante una alerta de tsunami, siga las indicaciones de la autoridad y evacúe a zonas altas
por las rutas señalizadas. Sistema de referencia: WGS 84 (EPSG:4326).
Campos: codigo, ubigeo, distrito, peligro, nivel_riesgo, ruta_evacuacion.
""")

        header = ["codigo", "nombre", "tipo", "ubigeo", "distrito", "capacidad_personas", "latitud", "longitud"]
        among = ["150101", "150108", "150110", "150118", "150123", "150132", "150142", "150143"]
        kinds = [("I.E.", "colegio"), ("Parque", "parque"), ("Losa deportiva", "losa deportiva"),
                 ("Coliseo", "coliseo")]
        rows = []
        for number in range(1, 31):
            ubigeo = self.rng.choice(among)
            prefix, kind = self.rng.choice(kinds)
            lat, lon = self.point(ubigeo)
            rows.append([f"ALB-{number:03d}", f"{prefix} {self.names[ubigeo]} {number}", kind, ubigeo,
                         self.names[ubigeo], self.rng.randint(80, 2500), lat, lon])
        self.csv("albergues_zonas_seguras.csv", header, rows)

    def all(self) -> None:
        self.transport()
        self.urban()
        self.environment()
        self.digital()
        self.security()
        self.social()
        self.participation()
        self.enforcement()
        self.finance()
        self.planning()
        self.risk()


if __name__ == "__main__":
    Writer().all()
    for path in sorted(FILES_DIR.iterdir()):
        print(f"{path.stat().st_size:7d}  {path.name}")
