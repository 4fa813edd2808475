# ruff: noqa: E501  (data tables copied from the spec read better one entry per line)
"""Word material for the emulated world: sentences in many languages and scripts, names, places, sources.

Small fixed pools combined at random give realistic variety (CJK, Arabic, Devanagari, emoji) while keeping
the world cheap to generate and fully deterministic.
"""

from __future__ import annotations

# (lang, weight, sentences). English dominates like on the real platform.
SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "Just shipped a new data pipeline in Python and it is finally fast 🚀",
        "Hot take: most AI projects fail because of bad data, not bad models",
        "Reading about Delta Lake merges tonight, the docs are surprisingly good",
        "Our team moved the nightly batch to Airflow and nobody misses cron",
        "Coffee, a clean dataset and no meetings. Perfect Monday ☕",
        "Anyone else fighting rate limits on the API today?",
        "The match last night was unreal, what a comeback ⚽",
        "Climate data from this summer is honestly terrifying 🌍",
        "New blog post: why your data warehouse bill keeps growing",
        "Open source maintainers deserve way more support than they get ❤️",
        "Benchmarking DuckDB against pandas on a laptop, results soon",
        "Finally understood how snowflake ids encode time. Neat trick",
    ),
    "es": (
        "Hoy terminamos la migración de datos y todo funciona 🎉",
        "¿Alguien sabe cómo paginar la API sin perder resultados?",
        "Qué partidazo anoche, el estadio estaba lleno ⚽",
        "La inteligencia artificial no sustituye a un buen equipo de datos",
        "Aprendiendo Python los fines de semana, poco a poco 🐍",
        "El calor de este verano rompe todos los récords 🔥",
    ),
    "fr": (
        "Nouvelle version de notre pipeline de données en production ce matin",
        "Quelqu'un a déjà testé Delta Lake sur S3 ? Retours bienvenus",
        "Le café de la rentrée a un goût de deadline ☕",
        "L'IA générative, c'est surtout une question de données propres",
        "Quelle ambiance au stade ce soir, incroyable 🎶",
    ),
    "de": (
        "Endlich läuft unsere Datenpipeline stabil, drei Wochen Arbeit 💪",
        "Wer hat Erfahrung mit Airflow auf EC2? Bin für Tipps dankbar",
        "Heute Abend Derby, die ganze Stadt ist in Aufregung ⚽",
        "Künstliche Intelligenz braucht vor allem gute Daten",
        "Regen, Tee und ein gutes Buch über Datenbanken 📚",
    ),
    "pt": (
        "Finalmente automatizamos o relatório semanal com Python 🐍",
        "Alguém indo para a conferência de dados em São Paulo?",
        "Que jogo! O time virou nos acréscimos ⚽🔥",
        "Dados abertos mudam a forma como cobrimos eleições",
    ),
    "it": (
        "Oggi abbiamo rilasciato la nuova versione della pipeline dati",
        "Qualcuno usa DuckDB in produzione? Curioso di sapere come va",
        "Pizza, amici e la partita stasera 🍕⚽",
    ),
    "ja": (
        "新しいデータ基盤がやっと本番稼働しました🎉",
        "今日はPythonの勉強会に参加してきた。とても楽しかった",
        "AIの進化が速すぎてついていけない…",
        "東京は今日も暑いですね☀️ 水分補給を忘れずに",
    ),
    "zh": (
        "今天终于把数据管道迁移到云上了，速度快了很多🚀",
        "人工智能的关键还是高质量的数据",
        "周末在家学习Python，感觉进步很大",
        "昨晚的比赛太精彩了⚽",
    ),
    "ko": (
        "드디어 데이터 파이프라인 배포 완료했습니다 🎉",
        "오늘 AI 세미나 정말 유익했어요",
        "서울 날씨가 너무 좋아서 산책했어요 🌸",
    ),
    "ar": (
        "أطلقنا اليوم نظامًا جديدًا لتحليل البيانات 🚀",
        "الذكاء الاصطناعي يحتاج إلى بيانات نظيفة قبل كل شيء",
        "مباراة رائعة الليلة، الجمهور كان مذهلًا ⚽",
    ),
    "hi": (
        "आज हमने नया डेटा पाइपलाइन लॉन्च किया 🎉",
        "क्या किसी ने पायथन में एयरफ्लो इस्तेमाल किया है?",
        "कल रात का मैच शानदार था 🏏",
    ),
    "tr": (
        "Bugün yeni veri hattımızı canlıya aldık 🚀",
        "Yapay zekâ projelerinde en zor kısım veri temizliği",
        "Dün akşamki maç muhteşemdi ⚽",
    ),
    "ru": (
        "Сегодня запустили новый конвейер данных, всё работает 🚀",
        "Искусственный интеллект без хороших данных бесполезен",
    ),
    "id": (
        "Akhirnya pipeline data kami jalan lancar di produksi 🎉",
        "Ada yang pernah pakai DuckDB untuk analisis harian?",
    ),
}

LANG_WEIGHTS: dict[str, int] = {
    "en": 40,
    "es": 10,
    "fr": 6,
    "de": 6,
    "pt": 6,
    "it": 3,
    "ja": 8,
    "zh": 4,
    "ko": 3,
    "ar": 4,
    "hi": 3,
    "tr": 3,
    "ru": 2,
    "id": 2,
}

# Hashtags: the demo query matches the first four; the others add variety.
DEMO_HASHTAGS: tuple[str, ...] = ("AI", "Python", "DataEngineering", "OpenSource")
OTHER_HASHTAGS: tuple[str, ...] = (
    "ClimateAction",
    "WorldCup",
    "MondayMotivation",
    "100DaysOfCode",
    "BigData",
    "MachineLearning",
    "Music",
    "Travel",
    "Foodie",
    "Elections2026",
    "Tokyo",
    "東京",
    "데이터",
    "الذكاء_الاصطناعي",
)

LINKS: tuple[tuple[str, str], ...] = (
    ("https://example.com/blog/delta-lake-merge", "example.com/blog/delta-lake…"),
    ("https://docs.python.org/3/library/asyncio.html", "docs.python.org/3/library/as…"),
    ("https://github.com/apache/airflow", "github.com/apache/airflow"),
    ("https://duckdb.org/docs/", "duckdb.org/docs/"),
    ("https://www.bbc.com/news/science-environment", "bbc.com/news/science-envir…"),
    ("https://elpais.com/tecnologia/", "elpais.com/tecnologia/"),
    ("https://www.lemonde.fr/pixels/", "lemonde.fr/pixels/"),
    ("https://www.nhk.or.jp/news/", "nhk.or.jp/news/"),
)

FIRST_NAMES: tuple[str, ...] = (
    "Ana", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lea",
    "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sami", "Tomás", "Uma", "Victor", "Wei", "Yuki",
    "Zara", "Amir", "Chloé", "Jin", "Lucía", "Mateo", "Sofia", "Arjun", "Leila", "Minji", "Oskar",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Silva", "Müller", "Dubois", "García", "Rossi", "Tanaka", "Kim", "Chen", "Haddad", "Sharma", "Yılmaz",
    "Ivanova", "Santos", "Novak", "Okafor", "Larsen", "Costa", "Nguyen", "Schmidt", "Moreau", "Suzuki",
)  # fmt: skip
NAME_EXTRAS: tuple[str, ...] = ("", "", "", " 🌍", " | data", " ✨", " (she/her)", " 🐍")

BIOS: tuple[str, ...] = (
    "Data engineer. Pipelines, #Python, coffee.",
    "Researcher in computational social science 📊 https://t.co/R3s34rchMe",
    "Open source maintainer @ApacheAirflow. Opinions are my own.",
    "Journalist covering #tech and #climate. Long $TSLA jokes.",
    "Football, music and bad puns ⚽🎶",
    "Ingeniera de datos en Madrid 🇪🇸",
    "Développeur Python, Lyon.",
    "データエンジニア / 東京",
    "人工智能研究员",
    "مهندس بيانات",
    "",
)

# Cashtags some posts end with (entities.cashtags).
CASHTAGS: tuple[str, ...] = ("TSLA", "NVDA", "AAPL", "MSFT", "BTC")

LOCATIONS: tuple[str, ...] = (
    "Berlin, Germany", "Madrid", "Paris, France", "Tokyo", "São Paulo, Brasil", "New York, NY",
    "London", "Seoul", "Cairo", "Mumbai", "Istanbul", "Jakarta", "Mexico City", "Lagos", "", "Earth 🌍",
)  # fmt: skip

SOURCES: tuple[str, ...] = (
    "Twitter for iPhone",
    "Twitter for Android",
    "Twitter Web App",
    "TweetDeck",
    "Buffer",
)

# A fixed set of real cities: (id, name, full_name, country, country_code, bbox [w, s, e, n]).
PLACES: tuple[tuple[str, str, str, str, str, tuple[float, float, float, float]], ...] = (
    ("3078869807f9dd36", "Berlin", "Berlin, Germany", "Germany", "DE", (13.088, 52.338, 13.761, 52.675)),
    ("206e932cc0e89fa2", "Madrid", "Madrid, España", "España", "ES", (-3.889, 40.312, -3.518, 40.643)),
    ("09f6a7707f18e0b1", "Paris", "Paris, France", "France", "FR", (2.224, 48.815, 2.469, 48.902)),
    ("1c4f2ca1a05a2e2b", "Tokyo", "Tokyo, Japan", "Japan", "JP", (139.562, 35.528, 139.918, 35.817)),
    ("68e019afec7d0ba5", "São Paulo", "São Paulo, Brasil", "Brasil", "BR", (-46.826, -24.008, -46.365, -23.357)),
    ("27485069891a7938", "New York", "New York, NY", "United States", "US", (-74.259, 40.477, -73.700, 40.917)),
    ("457b4814b4240d87", "London", "London, England", "United Kingdom", "GB", (-0.510, 51.286, 0.334, 51.692)),
    ("a1b2c3d4e5f60718", "Seoul", "Seoul, Republic of Korea", "Republic of Korea", "KR", (126.764, 37.413, 127.183, 37.715)),
    ("5f2a3b4c5d6e7f80", "Cairo", "Cairo, Egypt", "Egypt", "EG", (31.137, 29.952, 31.450, 30.175)),
    ("0f1e2d3c4b5a6978", "Mumbai", "Mumbai, India", "India", "IN", (72.775, 18.892, 72.986, 19.270)),
    ("9a8b7c6d5e4f3a2b", "Istanbul", "İstanbul, Türkiye", "Türkiye", "TR", (28.595, 40.802, 29.426, 41.199)),
    ("1a2b3c4d5e6f7a8b", "Mexico City", "Ciudad de México, México", "México", "MX", (-99.364, 19.048, -98.940, 19.593)),
)  # fmt: skip

MEDIA_ALT_TEXTS: tuple[str, ...] = (
    "A bar chart of daily post volume",
    "Screenshot of a terminal running a pipeline",
    "A crowded stadium at night",
    "Sunset over the city skyline",
    "",
)

POLL_OPTIONS: tuple[tuple[str, ...], ...] = (
    ("Python", "SQL", "Rust", "Scala"),
    ("Yes", "No"),
    ("Airflow", "Dagster", "Prefect"),
    ("Batch", "Streaming", "Both"),
)

WITHHELD_COUNTRIES: tuple[str, ...] = ("DE", "FR", "TR", "IN", "RU", "BR")
