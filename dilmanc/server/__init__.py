"""`dilmanc serve`: a LibreTranslate- and DeepL-compatible HTTP server over the service layer.

from dilmanc.server.app import create_app
from dilmanc.server.config import ServerConfig
app = create_app(ServerConfig(settings=Settings(targets=("en",), models=("DIR",))))
"""
