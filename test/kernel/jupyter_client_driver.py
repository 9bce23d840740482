"""Drive the pann-aet kernel through Debian's real jupyter_client and print what happened as JSON.

Usage: python3 jupyter_client_driver.py SCENARIO CWD
Scenarios:
  comms   - comm_info_request (empty, then with a kernel-opened comm), kernel->frontend comm_open with a buffer,
            frontend->kernel comm_msg with a buffer seen by the kernel, frontend-opened comm to a registered
            target with a reply, comm_close both ways, unknown target refused.
  widget  - ipywidgets-style round trip with the pann-aet slicer: open + display, frontend 'update' of
            threshold/visible_count, kernel sees it; kernel sets atoms -> frontend gets an 'update'; request_state.
The kernelspec must be installed (JUPYTER_DATA_DIR). Every wait is bounded; the kernel is always shut down.
"""
import json
import sys
import time
import uuid

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


def main():
    scenario, cwd = sys.argv[1], sys.argv[2]
    km, kc = start_new_kernel(kernel_name='pann-aet', cwd=cwd, startup_timeout=TIMEOUT)
    out = {}
    try:
        out = SCENARIOS[scenario](kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print('RESULT ' + json.dumps(out))


def drain_iopub(kc, until_idle_of=None, timeout=TIMEOUT):
    """Collect iopub messages until the kernel is idle for the given parent msg_id."""
    msgs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=1)
        except Exception:
            continue
        msgs.append(m)
        if until_idle_of and m['msg_type'] == 'status' and m['content']['execution_state'] == 'idle' \
                and m['parent_header'].get('msg_id') == until_idle_of:
            return msgs
    raise TimeoutError('no idle status for %s' % until_idle_of)


def execute(kc, code):
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply['parent_header'].get('msg_id') != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    msgs = drain_iopub(kc, msg_id)
    stdout = ''.join(m['content']['text'] for m in msgs if m['msg_type'] == 'stream' and m['content']['name'] == 'stdout')
    stderr = ''.join(m['content']['text'] for m in msgs if m['msg_type'] == 'stream' and m['content']['name'] == 'stderr')
    errors = [m['content'] for m in msgs if m['msg_type'] == 'error']
    return {'status': reply['content']['status'], 'stdout': stdout, 'stderr': stderr, 'errors': errors, 'iopub': msgs}


def comm_info(kc, target=None):
    content = {} if target is None else {'target_name': target}
    msg = kc.session.msg('comm_info_request', content)
    kc.shell_channel.send(msg)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply['parent_header'].get('msg_id') != msg['header']['msg_id']:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    return {'msg_type': reply['msg_type'], 'content': reply['content']}


def send_comm(kc, msg_type, content, buffers=None):
    """Send a comm message on shell as a frontend does and wait for the kernel's idle status."""
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg) if not buffers else kc.session.send(kc.shell_channel.socket, msg, buffers=buffers)
    return drain_iopub(kc, msg['header']['msg_id'])


def summarise(m):
    return {'msg_type': m['msg_type'], 'content': m['content'], 'buffers': [bytes(b).hex() for b in m.get('buffers', [])],
            'parent_msg_type': m['parent_header'].get('msg_type')}


def scenario_comms(kc):
    res = {}
    res['info_empty'] = comm_info(kc)
    r = execute(kc, '\n'.join([
        "import { commManager } from '@pann-aet/kernel/dist/kernel/comm';",
        "const cm = commManager();",
        "const c = cm.open('pann.test', { hello: 'kernel' }, { version: '1' }, [new Uint8Array([1, 2, 3, 250])]);",
        "(globalThis as any).received = [];",
        "c.onMsg((m) => (globalThis as any).received.push({ data: m.data, bytes: m.buffers.map((b) => Array.from(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))) }));",
        "cm.registerTarget('pann.echo', (comm, open) => { comm.onMsg((m) => comm.send({ echo: m.data, nbytes: m.buffers.map((b) => b.byteLength) }, m.buffers)); comm.send({ opened: open.data }); });",
        "console.log('attached', cm.attached);",
    ]))
    res['exec_open'] = {'status': r['status'], 'stdout': r['stdout'], 'stderr': r['stderr'], 'errors': r['errors']}
    opens = [m for m in r['iopub'] if m['msg_type'] == 'comm_open']
    res['comm_open'] = [summarise(m) for m in opens]
    comm_id = opens[0]['content']['comm_id'] if opens else 'missing'
    res['info_all'] = comm_info(kc)
    res['info_widget_only'] = comm_info(kc, 'jupyter.widget')
    send_comm(kc, 'comm_msg', {'comm_id': comm_id, 'data': {'from': 'frontend', 'n': 7}}, buffers=[b'\x00\x10\xff'])
    r = execute(kc, "console.log(JSON.stringify((globalThis as any).received));")
    res['kernel_saw'] = json.loads(r['stdout'].strip() or 'null')
    echo_id = uuid.uuid4().hex
    opened = send_comm(kc, 'comm_open', {'comm_id': echo_id, 'target_name': 'pann.echo', 'data': {'x': 1}})
    echoed = send_comm(kc, 'comm_msg', {'comm_id': echo_id, 'data': {'ping': True}}, buffers=[b'abcd', b'\x01\x02'])
    res['echo_open_replies'] = [summarise(m) for m in opened if m['msg_type'] == 'comm_msg']
    res['echo_replies'] = [summarise(m) for m in echoed if m['msg_type'] == 'comm_msg']
    refused_id = uuid.uuid4().hex
    refused = send_comm(kc, 'comm_open', {'comm_id': refused_id, 'target_name': 'no.such.target', 'data': {}})
    res['refused'] = [summarise(m) for m in refused if m['msg_type'] == 'comm_close']
    send_comm(kc, 'comm_close', {'comm_id': echo_id, 'data': {}})
    res['info_after_close'] = comm_info(kc)
    r = execute(kc, "c.close(); console.log(JSON.stringify(Object.keys(cm.info())));")
    res['kernel_close'] = [summarise(m) for m in r['iopub'] if m['msg_type'] == 'comm_close']
    res['info_final'] = json.loads(r['stdout'].strip() or 'null')
    return res


WIDGET_SETUP = '\n'.join([
    "import { slicer } from '@pann-aet/kernel/dist/view';",
    "const n = 16;",
    "const data = new Float32Array(n * n * n);",
    "for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) data[(k * n + j) * n + i] = Math.exp(-((i - 8) ** 2 + (j - 8) ** 2 + (k - 8) ** 2) / 8);",
    "const volume = { data, shape: [n, n, n] as [number, number, number], voxelSizeA: 0.5 };",
    "const atoms = { positionsA: Float64Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]), species: ['Pt', 'Pt', 'Au', 'Au'], scores: { peak: Float64Array.from([0.1, 0.4, 0.6, 0.9]) } };",
    "const v = slicer(volume, atoms, { threshold: 0.3 });",
    "v",
])


def scenario_widget(kc):
    res = {}
    r = execute(kc, WIDGET_SETUP)
    res['exec'] = {'status': r['status'], 'stderr': r['stderr'], 'errors': r['errors']}
    opens = [m for m in r['iopub'] if m['msg_type'] == 'comm_open']
    res['opens'] = [{'target_name': m['content']['target_name'], 'state_keys': sorted(m['content']['data']['state'].keys()),
                     'model_name': m['content']['data']['state'].get('_model_name'),
                     'buffer_paths': m['content']['data'].get('buffer_paths'), 'nbuffers': len(m['buffers']),
                     'buffer_bytes': [len(b) for b in m['buffers']], 'version': m['metadata'].get('version'),
                     'threshold': m['content']['data']['state'].get('threshold'),
                     'visible_count': m['content']['data']['state'].get('visible_count')} for m in opens]
    displays = [m for m in r['iopub'] if m['msg_type'] in ('display_data', 'execute_result')]
    res['displays'] = [{'msg_type': m['msg_type'], 'mimes': sorted(m['content']['data'].keys()),
                        'view': m['content']['data'].get('application/vnd.jupyter.widget-view+json'),
                        'text': m['content']['data'].get('text/plain')} for m in displays]
    comm_id = opens[0]['content']['comm_id'] if opens else 'missing'
    res['comm_id'] = comm_id
    res['info'] = comm_info(kc, 'jupyter.widget')
    # The frontend moves the threshold slider: an ipywidgets 'update' with the new state.
    send_comm(kc, 'comm_msg', {'comm_id': comm_id, 'data': {'method': 'update', 'state': {'threshold': 0.5, 'visible_count': 2}, 'buffer_paths': []}})
    r = execute(kc, "console.log(JSON.stringify({ threshold: v.threshold, visible: v.visibleCount, changes: (v as any).changeLog }));")
    res['kernel_after_update'] = json.loads(r['stdout'].strip() or 'null')
    res['kernel_after_update_stderr'] = r['stderr']
    # The kernel sets new atoms: the frontend gets an 'update' with the atom buffers.
    r = execute(kc, "v.atoms = { positionsA: Float64Array.from([5, 5, 5]), species: ['Pd'], scores: { peak: Float64Array.from([0.7]) } };")
    ups = [m for m in r['iopub'] if m['msg_type'] == 'comm_msg' and m['content']['comm_id'] == comm_id]
    res['atoms_update'] = [{'method': m['content']['data'].get('method'), 'keys': sorted(m['content']['data'].get('state', {}).keys()),
                            'buffer_paths': m['content']['data'].get('buffer_paths'), 'nbuffers': len(m['buffers']),
                            'species': m['content']['data'].get('state', {}).get('atom_species'),
                            'positions': list(__import__('struct').unpack('<3f', bytes(m['buffers'][0])[:12])) if m['buffers'] else None}
                           for m in ups]
    # A reconnecting frontend asks for the full state.
    rs = send_comm(kc, 'comm_msg', {'comm_id': comm_id, 'data': {'method': 'request_state'}})
    st = [m for m in rs if m['msg_type'] == 'comm_msg']
    res['request_state'] = [{'method': m['content']['data'].get('method'), 'threshold': m['content']['data']['state'].get('threshold'),
                             'nbuffers': len(m['buffers']), 'parent_msg_type': m['parent_header'].get('msg_type')} for m in st]
    return res


SCENARIOS = {'comms': scenario_comms, 'widget': scenario_widget}

if __name__ == '__main__':
    main()
