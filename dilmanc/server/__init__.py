"""`dilmanc serve`: a LibreTranslate- and DeepL-compatible HTTP server over the service layer.

from dilmanc.server.app import ServerConfig, create_app
app = create_app(ServerConfig(settings=Settings(targets=("en",), models=("DIR",))))
"""
