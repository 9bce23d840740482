"""JupyterLab 4 frontend (built from npm packages, see index.js) served by Debian's jupyter-server 1.23 through a
jupyterlab_server.LabServerApp subclass, for `npm start` and the e2e tests.

jupyter-server 1.23 predates APIs the 4.x frontend calls; minimal handlers stand in for them:
GET /api/me (identity), POST /api/events (accepted, dropped) and the /api/events/subscribe websocket (silent).

Usage: python3 server.py --port=PORT --notebook-dir=DIR [--token=TOKEN]
Set JUPYTER_CONFIG_DIR / JUPYTER_DATA_DIR / JUPYTER_RUNTIME_DIR to keep it away from the user's Jupyter setup.
"""
import json
import os
import sys
import tempfile

from jupyter_server.base.handlers import APIHandler
from jupyter_server.base.zmqhandlers import AuthenticatedZMQStreamHandler
from jupyterlab_server import LabServerApp
from tornado import web

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, 'build')
STATE = os.environ.get('PANN_LAB_STATE_DIR') or tempfile.mkdtemp(prefix='pann-lab-')

with open(os.path.join(HERE, '..', 'package.json')) as f:
    VERSION = json.load(f)['version']


class MeHandler(APIHandler):
    @web.authenticated
    def get(self):
        user = self.current_user
        name = getattr(user, 'username', None) or 'pann'
        self.finish(json.dumps({
            'identity': {'username': name, 'name': name, 'display_name': name, 'initials': name[:1].upper(),
                         'avatar_url': None, 'color': None},
            'permissions': {},
        }))


class EventsHandler(APIHandler):
    @web.authenticated
    def post(self):
        self.set_status(204)
        self.finish()


class EventsSubscribeHandler(AuthenticatedZMQStreamHandler):
    """A websocket that accepts the subscription and never sends events."""

    async def pre_get(self):  # 1.23 awaits pre_get
        if self.get_current_user() is None:
            raise web.HTTPError(403)

    def open(self, *args, **kwargs):
        pass

    def on_message(self, message):
        pass


def _jupyter_server_extension_points():
    return [{'module': __name__, 'app': PannLabApp}]


class PannLabApp(LabServerApp):
    name = __name__
    extension_url = '/lab'
    default_url = '/lab'
    load_other_extensions = False
    app_name = 'pann-aet JupyterLab'
    app_version = VERSION
    app_settings_dir = os.path.join(BUILD, 'application_settings')
    schemas_dir = os.path.join(BUILD, 'schemas')
    static_dir = BUILD
    templates_dir = os.path.join(HERE, 'templates')
    themes_dir = os.path.join(BUILD, 'themes')
    user_settings_dir = os.path.join(STATE, 'user_settings')
    workspaces_dir = os.path.join(STATE, 'workspaces')

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.extend([
            (r'/api/me', MeHandler),
            (r'/api/events', EventsHandler),
            (r'/api/events/subscribe', EventsSubscribeHandler),
        ])

    def initialize_settings(self):
        super().initialize_settings()
        page_config = self.serverapp.web_app.settings.setdefault('page_config_data', {})
        page_config.setdefault('exposeAppInBrowser', True)
        page_config.setdefault('appVersion', VERSION)


if __name__ == '__main__':
    os.makedirs(os.path.join(STATE, 'user_settings'), exist_ok=True)
    PannLabApp.launch_instance()
