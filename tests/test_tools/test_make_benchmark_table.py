# Copyright (c) mmwsss contributors. All rights reserved.
import json
import os
import os.path as osp

import pytest
import yaml
from tool_loader import load_tool

tool = load_tool('make_benchmark_table.py')


def _stage(name, kind, split, miou=None, params=1000, time_s=10.0, **metrics):
    if miou is not None:
        metrics['mIoU'] = miou
    return dict(
        format_version=1,
        stage=name,
        kind=kind,
        split=split,
        metrics=metrics,
        params=params,
        train_time_s=time_s,
        checkpoint=None,
    )


def _write_pipeline(
    folder,
    method,
    seed,
    values,
    supervised=None,
    config='configs/drs/p.py',
    pipeline=None,
    dataset='synthetic',
):
    """values: localization, refined, pseudo-label, final mIoU."""
    os.makedirs(folder, exist_ok=True)
    stages = [
        _stage('pretrain', 'pretrain', 'val', params=500, time_s=1000.0, accuracy=99.0),
        _stage('cam', 'localization', 'train', values[0], params=2_500_000, time_s=60.0),
        _stage('refine', 'refined', 'train', values[1], params=900_000, time_s=30.0),
        _stage('labels', 'pseudo_label', 'train', values[2], params=None, time_s=0.0),
        _stage('seg', 'segmentation', 'val', values[3], params=5_000_000, time_s=110.0),
    ]
    if supervised is not None:
        stages.append(_stage('sup', 'supervised', 'val', supervised, time_s=500.0))
    for s in stages:  # the stage work dirs inside the pipeline work dir
        os.makedirs(osp.join(folder, s['stage']), exist_ok=True)
        with open(osp.join(folder, s['stage'], 'results.json'), 'w') as f:
            json.dump(s, f)
    obj = dict(
        format_version=1,
        pipeline=pipeline or f'pipeline_{method.split()[0].lower()}',
        method=method,
        backbone='DRS-VGG16 x0.25',
        dataset=dataset,
        seed=seed,
        config=config,
        stages=stages,
    )
    path = osp.join(folder, 'pipeline_results.json')
    with open(path, 'w') as f:
        json.dump(obj, f)
    return path


@pytest.fixture
def work_dirs(tmp_path):
    root = tmp_path / 'work_dirs'
    _write_pipeline(str(root / 'drs_s0'), 'DRS (learnable)', 0, [50, 55, 60, 60], supervised=70)
    _write_pipeline(str(root / 'drs_s1'), 'DRS (learnable)', 1, [52, 57, 62, 64], supervised=72)
    _write_pipeline(str(root / 'cam_s0'), 'CAM', 0, [40, 44, 50, 61.5])
    os.makedirs(root / 'lone')
    with open(root / 'lone' / 'results.json', 'w') as f:
        json.dump(_stage('cam_only', 'localization', 'train', 33.0, params=2_000_000), f)
    return root


def _write(path, text):
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return path


# ------------------------------------------------------------------------------ reading
def test_find_result_files_skips_stages_of_pipelines(work_dirs, tmp_path):
    files, problems = tool.find_result_files([str(work_dirs), str(tmp_path / 'absent')])
    names = sorted(osp.relpath(f, work_dirs) for f in files)
    assert names == [
        'cam_s0/pipeline_results.json',
        'drs_s0/pipeline_results.json',
        'drs_s1/pipeline_results.json',
        'lone/results.json',
    ]
    assert len(problems) == 1 and 'absent' in problems[0]
    # a stage dir searched on its own is a lone stage; a file path is taken as is
    stage_dir = str(work_dirs / 'drs_s0' / 'cam')
    assert tool.find_result_files([stage_dir])[0] == [osp.join(stage_dir, 'results.json')]
    again, _ = tool.find_result_files([str(work_dirs), str(work_dirs / 'cam_s0')])
    assert len(again) == 4  # no duplicates


def test_load_pipeline_and_lone_stage(work_dirs):
    run = tool.load_result_file(str(work_dirs / 'drs_s1' / 'pipeline_results.json'))
    assert (run.method, run.seed, run.dataset) == ('DRS (learnable)', 1, 'synthetic')
    assert [
        run.miou(c) for c in ('localization', 'refined', 'pseudo_label', 'final', 'supervised')
    ] == [52, 57, 62, 64, 72]
    assert run.params == 2_500_000  # the localization-map model
    assert run.train_time_s == 200.0  # pretraining and the upper bound are not counted
    lone = tool.load_result_file(str(work_dirs / 'lone' / 'results.json'))
    assert lone.method == 'cam_only' and lone.miou('localization') == 33.0
    assert lone.miou('final') is None and lone.backbone is None


@pytest.mark.parametrize(
    'content, problem',
    [
        ('', 'is empty'),
        ('{"format_version": 1, "stages": [', 'is not valid JSON'),
        ('[1, 2]', 'holds a JSON list'),
        ('{"stages": []}', 'has no format_version'),
        ('{"format_version": 2, "stages": []}', 'format_version 2 is not supported'),
        ('{"format_version": 1, "stages": {}}', '"stages" is missing or not a list'),
        ('{"format_version": 1, "stages": []}', '"stages" is empty'),
        ('{"format_version": 1, "stages": [3]}', 'stages[0] is a JSON int'),
        ('{"format_version": 1, "stages": [{"kind": "cams", "metrics": {}}]}', "kind is 'cams'"),
        ('{"format_version": 1, "stages": [{"kind": "refined"}]}', 'has no "metrics" object'),
        (
            '{"format_version": 1, "stages": [{"kind": "refined", "metrics": {"mIoU": "high"}}]}',
            "metrics.mIoU is 'high'",
        ),
        (
            '{"format_version": 1, "stages": [{"kind": "refined", "metrics": {"mIoU": NaN}}]}',
            'expected a finite number',
        ),
        (
            '{"format_version": 1, "stages": [{"kind": "refined", "metrics": {"mIoU": 130}}]}',
            'percentage in [0, 100]',
        ),
        (
            '{"format_version": 1, "stages": [{"kind": "refined", "metrics": {}, "params": true}]}',
            'params is True',
        ),
        (
            '{"format_version": 1, "stages": [{"kind": "refined", "metrics": {}, '
            '"train_time_s": -1}]}',
            'train_time_s is -1',
        ),
        (
            '{"format_version": 1, "seed": "zero", "stages": [{"kind": "refined", "metrics": {}}]}',
            "seed is 'zero'",
        ),
    ],
)
def test_malformed_files_name_file_and_problem(tmp_path, content, problem):
    path = _write(str(tmp_path / 'run' / 'pipeline_results.json'), content)
    with pytest.raises(tool.ResultFileError) as info:
        tool.load_result_file(path)
    assert str(info.value).startswith(path + ': ')
    assert problem in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    path = str(tmp_path / 'nope' / 'results.json')
    with pytest.raises(tool.ResultFileError, match='cannot be read'):
        tool.load_result_file(path)


def test_stage_files_outside_their_pipeline_dir_are_not_counted_twice(tmp_path):
    path = _write_pipeline(str(tmp_path / 'pipe'), 'DRS', 0, [1, 2, 3, 4])
    with open(path) as f:
        stage = json.load(f)['stages'][1]
    _write(str(tmp_path / 'stage_dirs' / 'cam' / 'results.json'), json.dumps(stage))
    runs, problems = tool.collect_results([str(tmp_path / 'pipe'), str(tmp_path / 'stage_dirs')])
    assert [r.method for r in runs] == ['DRS'] and not problems


def test_collect_results_keeps_problems(work_dirs):
    _write(str(work_dirs / 'broken' / 'pipeline_results.json'), '{oops')
    runs, problems = tool.collect_results([str(work_dirs)])
    assert len(runs) == 4
    assert len(problems) == 1 and 'broken' in problems[0] and 'not valid JSON' in problems[0]


# ------------------------------------------------------------------------------ aggregation
def test_aggregate_seeds_upper_bound_and_order(work_dirs):
    runs, _ = tool.collect_results([str(work_dirs)])
    rows = tool.aggregate_runs(runs)
    assert [r.method for r in rows] == ['DRS (learnable)', 'CAM', 'cam_only']
    drs, cam, lone = rows
    assert drs.seeds == [0, 1]
    assert drs.metrics['final'].mean == 62.0
    assert drs.metrics['final'].std == pytest.approx(2**1.5)  # sample std of 60, 64
    assert drs.ratio == pytest.approx(62 / 71)
    assert not drs.upper_bound_from_dataset
    # CAM has no supervised stage: the dataset's upper bound, flagged as such
    assert cam.upper_bound_from_dataset and cam.upper_bound.mean == 71.0
    # the lone stage comes from an unknown dataset: no upper bound
    assert lone.upper_bound is None and lone.ratio is None
    # first-seen order: the files in sorted path order (cam_s0 first)
    assert tool.aggregate_runs(runs, sort='none')[0].method == 'CAM'
    with pytest.raises(ValueError, match='sort'):
        tool.aggregate_runs(runs, sort='best')


def test_seed_noise_note_when_spread_exceeds_gap(work_dirs):
    runs, _ = tool.collect_results([str(work_dirs)])
    rows = tool.aggregate_runs(runs)
    notes = tool.seed_noise_notes(rows)
    # final: DRS 62 (seeds 60, 64: spread 4) vs CAM 61.5: gap 0.5 < 4
    assert any(
        n.startswith('Final mIoU (val): the seeds of DRS (learnable)')
        and 'disagree by 4.00' in n
        and 'CAM (DRS-VGG16 x0.25) (0.50)' in n
        for n in notes
    )
    assert rows[0].flagged.get('final') and rows[1].flagged.get('final')
    # localization: 51 vs 40, gap 11 > spread 2: no note
    assert not any(n.startswith('Loc. map') for n in notes)
    assert not rows[0].flagged.get('localization')


def test_seed_noise_notes_one_per_noisy_row(tmp_path):
    # A's seeds disagree by 20 on the final mIoU: one note naming both rows it cannot be ordered
    # against, not one note per pair
    for seed, final in ((0, 50), (1, 70)):
        _write_pipeline(str(tmp_path / f'a{seed}'), 'A', seed, [50, 55, 60, final], pipeline='a')
    for name, final in (('B', 55), ('C', 62)):
        _write_pipeline(str(tmp_path / name), name, 0, [10, 15, 20, final], pipeline=name)
    rows = tool.aggregate_runs(tool.collect_results([str(tmp_path)])[0])
    notes = [n for n in tool.seed_noise_notes(rows) if n.startswith('Final')]
    assert len(notes) == 1
    assert 'seeds of A' in notes[0] and 'B (DRS-VGG16 x0.25) (5.00)' in notes[0]
    assert 'C (DRS-VGG16 x0.25) (2.00)' in notes[0]
    assert all(r.flagged.get('final') for r in rows)


def test_no_seed_noise_note_between_rows_of_one_shared_stage(tmp_path):
    # two rows with the same supervised bound (one run, shared): nothing to order there
    _write_pipeline(str(tmp_path / 'a0'), 'A', 0, [50, 55, 60, 60], supervised=70, pipeline='a')
    _write_pipeline(str(tmp_path / 'a1'), 'A', 1, [52, 57, 62, 64], supervised=72, pipeline='a')
    _write_pipeline(str(tmp_path / 'b0'), 'B', 0, [30, 35, 40, 40], supervised=70, pipeline='b')
    _write_pipeline(str(tmp_path / 'b1'), 'B', 1, [31, 36, 41, 41], supervised=72, pipeline='b')
    rows = tool.aggregate_runs(tool.collect_results([str(tmp_path)])[0])
    notes = tool.seed_noise_notes(rows)
    assert not any(n.startswith('Supervised') for n in notes)
    assert not any(r.flagged.get('supervised') for r in rows)


def test_render_markdown(work_dirs):
    runs, _ = tool.collect_results(
        [str(work_dirs / 'drs_s0'), str(work_dirs / 'drs_s1'), str(work_dirs / 'cam_s0')]
    )
    rows = tool.aggregate_runs(runs)
    table = tool.render_markdown(rows)
    lines = table.splitlines()
    header = [c.strip() for c in lines[0].strip('|').split('|')]
    assert header == [
        'Method',
        'Backbone',
        'Seeds',
        'Loc. map mIoU (train)',
        'Refined map mIoU (train)',
        'Pseudo-label mIoU (train)',
        'Final mIoU (val)',
        'Supervised mIoU (val)',
        'WSSS / supervised',
        'Params (M)',
        'Train time',
    ]
    drs = [c.strip() for c in lines[2].strip('|').split('|')]
    assert drs[:3] == ['DRS (learnable)', 'DRS-VGG16 x0.25', '0, 1']
    assert drs[3] == '51.00 ± 1.41'
    assert drs[6] == '62.00 ± 2.83 *'
    assert drs[8] == '0.873' and drs[9] == '2.50' and drs[10] == '3.3 min'
    cam = [c.strip() for c in lines[3].strip('|').split('|')]
    assert cam[7] == '71.00 ± 1.41 †'
    assert '- Note: Final mIoU (val)' in table
    # without any supervised result the two upper-bound columns are left out
    plain = tool.render_markdown(tool.aggregate_runs([r for r in runs if r.method == 'CAM']))
    assert 'Supervised' not in plain.splitlines()[0] and 'Note' not in plain


def _write_staged_run(folder, seed, recall):
    stages = [
        _stage('pretrain', 'pretrain', 'val', 90.0),
        _stage(
            'stage1',
            'localization',
            'train',
            40.0 + seed,
            **{
                'sweep/best_threshold': 0.3 + 0.05 * seed,
                'sweep/best_mRecall': recall,
                'sweep/best_mPrecision': 50.0,
                'sweep/best_fgRecall': 70.0,
                'sweep/best_partRecall': 90.0,
                'sweep/best_bodyRecall': 30.0 + seed,
                'multi-label/mAP': 99.0,
            },
        ),
        _stage('expand', 'localization', 'train', 42.0, **{'sweep/best_mRecall': recall + 5}),
        _stage(
            'expand',
            'pseudo_label',
            'train',
            55.0,
            **{
                'pseudo_label/mRecall': 61.0,
                'pseudo_label/mPrecision': 62.0,
                'pseudo_label/bodyRecall': 48.0,
                'loc_map/best_mRecall': 1.0,
            },
        ),
        _stage('sup', 'supervised', 'val', 70.0),
    ]
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'pipeline_results.json'), 'w') as f:
        json.dump(
            dict(
                format_version=1,
                method='ESOL',
                backbone='VGG',
                dataset='synthetic',
                seed=seed,
                stages=stages,
            ),
            f,
        )


def test_stage_details_one_line_per_record_over_seeds(tmp_path):
    _write_staged_run(str(tmp_path / 's0'), 0, 50.0)
    _write_staged_run(str(tmp_path / 's1'), 1, 54.0)
    runs, problems = tool.collect_results([str(tmp_path)])
    assert not problems
    table = tool.render_stage_details(tool.aggregate_runs(runs))
    lines = table.splitlines()
    header = [c.strip() for c in lines[0].strip('|').split('|')]
    assert header == [
        'Method',
        'Stage',
        'Output',
        'Split',
        'Seeds',
        'mIoU',
        'Best bg threshold',
        'Recall (class mean)',
        'Precision (class mean)',
        'Fg recall',
        'Fg precision',
        'Part recall',
        'Body recall',
        'Classifier mAP',
    ]
    rows = [[c.strip() for c in line.strip('|').split('|')] for line in lines[2:5]]
    # pretraining and the upper bound are left out; pipeline order is kept
    assert [r[1:3] for r in rows] == [
        ['stage1', 'localization maps'],
        ['expand', 'localization maps'],
        ['expand', 'pseudo labels'],
    ]
    assert rows[0][4:] == [
        '0, 1',
        '40.50 ± 0.71',
        '0.30, 0.35',
        '52.00 ± 2.83',
        '50.00 ± 0.00',
        '70.00 ± 0.00',
        '—',
        '90.00 ± 0.00',
        '30.50 ± 0.71',
        '99.00 ± 0.00',
    ]
    assert rows[1][7] == '57.00 ± 2.83'
    # the pseudo-label record reads its own metric, not the hook's map scores (loc_map/*)
    assert rows[2][5:9] == ['55.00 ± 0.00', '—', '61.00 ± 0.00', '62.00 ± 0.00']
    assert rows[2][11:13] == ['—', '48.00 ± 0.00']  # the labels' body recall
    assert lines[5] == '' and 'PseudoLabelMetric' in lines[6]


def test_stage_details_keep_two_records_of_one_name_apart(tmp_path):
    # result files of older runs named a shared stage after the pipeline that trained it
    stages = [
        _stage('stage1', 'localization', 'train', 40.0),
        _stage('stage1', 'localization', 'train', 45.0),
    ]
    os.makedirs(tmp_path / 'a')
    with open(tmp_path / 'a' / 'pipeline_results.json', 'w') as f:
        json.dump(dict(format_version=1, method='M', seed=0, stages=stages), f)
    runs, _ = tool.collect_results([str(tmp_path)])
    lines = tool.render_stage_details(tool.aggregate_runs(runs)).splitlines()
    cells = [[c.strip() for c in line.strip('|').split('|')] for line in lines[2:4]]
    assert [(c[1], c[4], c[5]) for c in cells] == [
        ('stage1', '0', '40.00'),
        ('stage1 (2)', '0', '45.00'),
    ]


def test_pipe_in_names_is_escaped(tmp_path):
    _write_pipeline(str(tmp_path / 'a'), 'A|B', 0, [1, 2, 3, 4])
    runs, _ = tool.collect_results([str(tmp_path)])
    assert '| A\\|B |' in tool.render_markdown(tool.aggregate_runs(runs))


# ------------------------------------------------------------------------------ metafile
def test_metafile_round_trip_and_merge(work_dirs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs('configs/drs')
    _write('configs/drs/README.md', 'readme')
    # a pipeline whose config lives elsewhere stays out of this folder's metafile
    _write_pipeline(str(work_dirs / 'other'), 'Other', 0, [1, 2, 3, 4], config='configs/other/p.py')
    runs, _ = tool.collect_results([str(work_dirs)])
    rows = tool.aggregate_runs(runs)
    meta = tool.build_metafile(rows, 'configs/drs')
    assert [m['Name'] for m in meta['Models']] == ['pipeline_drs', 'pipeline_cam']
    drs = meta['Models'][0]
    assert drs['In Collection'] == 'DRS' and drs['Config'] == 'configs/drs/p.py'
    assert drs['Metadata']['Training Data'] == 'synthetic'
    assert drs['Metadata']['Parameters'] == 2_500_000
    assert drs['Metadata']['Training Time (s)'] == 200.0
    assert drs['Results']['Task'] == 'Semantic Segmentation'
    assert drs['Results']['Metrics']['mIoU'] == 62.0
    assert meta['Collections'][0]['README'] == 'configs/drs/README.md'

    existing = {
        'Collections': [
            {
                'Name': 'DRS',
                'Paper': {'Title': 'DRS'},
                'Metadata': {'Training Data': ['Pascal VOC 2012 + Aug']},
            },
            {'Name': 'ESOL'},
        ],
        'Models': [
            {'Name': 'voc_model', 'In Collection': 'DRS', 'Results': {'Metrics': {'mIoU': 71.2}}},
            {
                'Name': 'pipeline_drs',
                'Weights': 'https://x/y.pth',
                'Metadata': {'Batch Size': 10},
                'Results': {
                    'Task': 'Semantic Segmentation',
                    'Dataset': 'VOC',
                    'Metrics': {'mIoU': 70.0},
                },
            },
        ],
        'Import': ['x'],
    }
    with open('configs/drs/metafile.yml', 'w') as f:
        yaml.safe_dump(existing, f, sort_keys=False)
    path, count = tool.update_metafile(rows, 'configs/drs')
    assert (path, count) == ('configs/drs/metafile.yml', 2)
    with open(path) as f:
        merged = yaml.safe_load(f)
    assert merged['Import'] == ['x']
    assert [c['Name'] for c in merged['Collections']] == ['DRS', 'ESOL']
    assert merged['Collections'][0]['Paper'] == {'Title': 'DRS'}
    assert merged['Collections'][0]['Metadata']['Training Data'] == [
        'Pascal VOC 2012 + Aug',
        'synthetic',
    ]
    models = {m['Name']: m for m in merged['Models']}
    assert list(models) == ['voc_model', 'pipeline_drs', 'pipeline_cam']
    assert models['voc_model'] == existing['Models'][0]
    assert models['pipeline_drs']['Weights'] == 'https://x/y.pth'
    assert models['pipeline_drs']['Metadata']['Batch Size'] == 10
    assert models['pipeline_drs']['Metadata']['Seeds'] == ['0', '1']  # strings, as mim reads them
    # the VOC result is kept next to the synthetic one
    results = models['pipeline_drs']['Results']
    assert [r['Dataset'] for r in results] == ['VOC', 'synthetic']
    # a second update changes nothing (round trip is stable)
    with open(path) as f:
        first = f.read()
    tool.update_metafile(rows, 'configs/drs')
    with open(path) as f:
        assert f.read() == first


def test_metafile_config_is_the_runnable_stage_config(tmp_path, monkeypatch):
    """Config: the method's own stage config (its last localization stage), the pipeline config
    beside it; models take Paper, Code and Framework from their collection."""
    monkeypatch.chdir(tmp_path)
    os.makedirs('configs/drs')
    stage_cfgs = dict(
        cam='configs/drs/cam.py', refine='configs/drs/refine.py', seg='configs/drs/seg.py'
    )
    for seed in (0, 1):
        path = _write_pipeline(
            str(tmp_path / 'runs' / f's{seed}'),
            'DRS',
            seed,
            [1, 2, 3, 4],
            config='configs/drs/pipelines/pipeline_drs.py',
        )
        with open(path) as f:
            obj = json.load(f)
        for stage in obj['stages']:
            stage['config'] = stage_cfgs.get(stage['stage'])
        obj['precision'] = 'fp32'
        with open(path, 'w') as f:
            json.dump(obj, f)
    rows = tool.aggregate_runs(tool.collect_results([str(tmp_path / 'runs')])[0])
    model = tool.build_metafile(rows, 'configs/drs')['Models'][0]
    assert model['Config'] == 'configs/drs/cam.py'
    assert model['Pipeline Config'] == 'configs/drs/pipelines/pipeline_drs.py'
    assert list(model)[:4] == ['Name', 'In Collection', 'Config', 'Pipeline Config']
    assert model['Metadata']['Precision'] == 'fp32'
    for value in model['Metadata'].values():  # what mim's search can lower() and join
        assert isinstance(value, (str, int, float)) or all(isinstance(v, str) for v in value)
    # without a localization stage the segmentation stage is the model
    for run in rows[0].runs:
        run.stages = [s for s in run.stages if s.kind != 'localization']
    assert rows[0].stage_config == 'configs/drs/seg.py'

    existing = {
        'Collections': [
            {
                'Name': 'DRS',
                'Paper': {'Title': 'T', 'URL': 'u'},
                'Code': 'mmwsss/x.py',
                'Frameworks': ['PyTorch'],
            }
        ]
    }
    merged = tool.merge_metafile(existing, tool.build_metafile(rows, 'configs/drs'))
    model = merged['Models'][0]
    assert (model['Paper'], model['Code'], model['Framework']) == (
        {'Title': 'T', 'URL': 'u'},
        'mmwsss/x.py',
        'PyTorch',
    )
    assert model['Config'] == 'configs/drs/seg.py'


def test_default_collection_names_the_method_folder():
    assert tool.default_collection('configs/drs') == 'DRS'
    assert tool.default_collection('projects/esol/configs') == 'ESOL'
    assert (
        tool.default_collection('projects/destruction_learning/configs/') == 'DESTRUCTION_LEARNING'
    )
    assert tool.default_collection('other/configs') == 'CONFIGS'


def test_metafile_errors(work_dirs, tmp_path):
    runs, _ = tool.collect_results([str(work_dirs)])
    rows = tool.aggregate_runs(runs)
    with pytest.raises(tool.MetafileError, match='no such config folder'):
        tool.update_metafile(rows, str(tmp_path / 'nowhere'))
    folder = tmp_path / 'cfgs'
    folder.mkdir()
    bad = _write(str(folder / 'metafile.yml'), 'Models: [unclosed\n')
    for row in rows:
        for run in row.runs:
            run.config = str(folder / 'p.py')
    with pytest.raises(tool.MetafileError, match='metafile.yml: not valid YAML'):
        tool.update_metafile(rows, str(folder))
    _write(bad, 'Models: {a: 1}\n')
    with pytest.raises(tool.MetafileError, match='"Models" must be a list'):
        tool.update_metafile(rows, str(folder))
    with pytest.raises(tool.MetafileError, match='expected a mapping'):
        tool.merge_metafile(['x'], {'Models': []}, 'm.yml')
    # nothing from this folder: the file is not touched
    (tmp_path / 'elsewhere').mkdir()
    assert tool.update_metafile(rows, str(tmp_path / 'elsewhere'))[1] == 0
    assert not osp.exists(tmp_path / 'elsewhere' / 'metafile.yml')


# ------------------------------------------------------------------------------ README
def test_readme_marker_replacement(tmp_path):
    readme = _write(
        str(tmp_path / 'README.md'),
        f'# T\n\nintro\n{tool.TABLE_START}\nold table\n{tool.TABLE_END}\n\n## After\n',
    )
    os.chmod(readme, 0o644)
    assert tool.update_readme(readme, '| a |\n| --- |\n')
    assert os.stat(readme).st_mode & 0o777 == 0o644
    with open(readme) as f:
        text = f.read()
    assert (
        text == f'# T\n\nintro\n{tool.TABLE_START}\n| a |\n| --- |\n{tool.TABLE_END}\n\n## After\n'
    )
    assert not tool.update_readme(readme, '| a |\n| --- |\n')  # unchanged
    with pytest.raises(ValueError, match='exactly one'):
        tool.replace_between_markers('no markers', 't', 'X.md')
    with pytest.raises(ValueError, match='comes before'):
        tool.replace_between_markers(f'{tool.TABLE_END}\n{tool.TABLE_START}', 't', 'X.md')
    with pytest.raises(ValueError, match='missing.md'):
        tool.update_readme(str(tmp_path / 'missing.md'), 't')


# ------------------------------------------------------------------------------ the tool


def test_tool_end_to_end(work_dirs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    os.makedirs('configs/drs')
    _write(str(work_dirs / 'broken' / 'pipeline_results.json'), '{"format_version": 1}')
    readme = _write('configs/drs/README.md', f'x\n{tool.TABLE_START}\n{tool.TABLE_END}\n')
    rc = tool.main(
        [
            str(work_dirs),
            '--metafile-dir',
            'configs/drs',
            '--update-readme',
            readme,
            '--out',
            'table.md',
        ]
    )
    out, err = capsys.readouterr()
    assert rc == 0
    assert out.startswith('| Method | Backbone |') and 'DRS (learnable)' in out
    assert 'warning: ' in err and osp.join('broken', 'pipeline_results.json') in err
    assert 'Traceback' not in err
    with open('table.md') as f:
        assert f.read() == out
    with open(readme) as f:
        assert out.strip() in f.read()
    # --stages: printed after the leaderboard, and into the README's second pair of markers
    _write(
        readme, f'x\n{tool.TABLE_START}\n{tool.TABLE_END}\n{tool.STAGES_START}\n{tool.STAGES_END}\n'
    )
    assert tool.main([str(work_dirs), '--update-readme', readme, '--stages']) == 0
    out, _ = capsys.readouterr()
    leaderboard, stages = out.split('\n\n| Method | Stage |')
    with open(readme) as f:
        text = f.read()
    assert leaderboard.strip() in text and '| Method | Stage |' + stages.rstrip() in text
    assert (
        text.index(tool.TABLE_END) < text.index('| Method | Stage |') < text.index(tool.STAGES_END)
    )
    assert osp.isfile('configs/drs/metafile.yml')
    # a README without markers: error message, exit status 2, the table is still printed
    _write('plain.md', 'nothing')
    assert tool.main([str(work_dirs), '--update-readme', 'plain.md']) == 2
    out, err = capsys.readouterr()
    assert 'plain.md' in err and 'exactly one' in err and out


def test_tool_nothing_usable(tmp_path, capsys):
    _write(str(tmp_path / 'a' / 'pipeline_results.json'), 'not json')
    assert tool.main([str(tmp_path), str(tmp_path / 'missing')]) == 1
    out, err = capsys.readouterr()
    assert out == ''
    assert 'pipeline_results.json: is not valid JSON' in err
    assert 'missing: no such file or directory' in err
    assert 'error: no usable result file found' in err
    assert tool.main([str(tmp_path / 'empty_does_not_exist')]) == 1


def test_stage_with_two_records_counts_its_time_once_and_params_of_last_map_model(tmp_path):
    folder = tmp_path / 'p'
    os.makedirs(folder)
    stages = [
        _stage('cam', 'localization', 'train', 40, params=100, time_s=60.0),
        _stage('expand', 'localization', 'train', 45, params=120, time_s=20.0),
        _stage('refine', 'refined', 'train', 50, params=90, time_s=30.0),
        _stage('refine', 'pseudo_label', 'train', 55, params=90, time_s=30.0),  # same training
        _stage('seg', 'segmentation', 'val', 58, params=500, time_s=100.0),
    ]
    obj = dict(
        format_version=1,
        pipeline='p',
        method='M',
        backbone='b',
        dataset='d',
        seed=0,
        config='c.py',
        stages=stages,
    )
    path = folder / 'pipeline_results.json'
    path.write_text(json.dumps(obj))
    run = tool.load_result_file(str(path))
    assert run.train_time_s == 60.0 + 20.0 + 30.0 + 100.0
    assert run.params == 120
    assert run.miou('localization') == 45


def _precision_run(folder, method, seed, precision, final):
    os.makedirs(folder, exist_ok=True)
    stages = [
        _stage('stage1', 'localization', 'train', 40.0 + seed),
        _stage('seg', 'segmentation', 'val', final),
    ]
    with open(osp.join(folder, 'pipeline_results.json'), 'w') as f:
        json.dump(
            dict(
                format_version=1,
                method=method,
                backbone='VGG',
                dataset='synthetic',
                seed=seed,
                precision=precision,
                stages=stages,
            ),
            f,
        )


def test_rows_at_two_precisions_are_told_apart_and_compared(tmp_path):
    for seed, (fp32, bf16) in enumerate([(60.0, 60.5), (62.0, 61.0), (61.0, 60.0)]):
        _precision_run(str(tmp_path / f'f{seed}'), 'DRS', seed, 'fp32', fp32)
        _precision_run(str(tmp_path / f'b{seed}'), 'DRS', seed, 'bf16', bf16)
    _precision_run(str(tmp_path / 'c0'), 'CAM', 0, 'bf16', 55.0)
    runs, _ = tool.collect_results([str(tmp_path)])
    rows = tool.aggregate_runs(runs)
    assert sorted((r.method, r.precision, r.show_precision) for r in rows) == [
        ('CAM', 'bf16', False),
        ('DRS', 'bf16', True),
        ('DRS', 'fp32', True),
    ]
    table = tool.render_markdown(rows)
    assert '| DRS [fp32] |' in table and '| DRS [bf16] |' in table and '| CAM |' in table
    notes = tool.precision_notes(rows)
    assert len(notes) == 1
    # final: 60.50 vs 61.00, gap 0.50 < spread 2.00; localization identical
    assert notes[0].startswith('DRS (VGG), bf16 vs fp32 (3 vs 3 seeds): within seed noise')
    assert 'Final mIoU (val) 60.50 vs 61.00 (gap 0.50, seed spread 2.00)' in notes[0]
    assert '- Numerics: DRS (VGG), bf16 vs fp32' in table
    assert len({r.name for r in rows}) == 3  # metafile names stay unique


def test_a_precision_gap_beyond_seed_noise_is_said(tmp_path):
    for seed in range(2):
        _precision_run(str(tmp_path / f'f{seed}'), 'DRS', seed, 'fp32', 60.0 + seed)
        _precision_run(str(tmp_path / f'b{seed}'), 'DRS', seed, 'bf16', 50.0 + seed)
    rows = tool.aggregate_runs(tool.collect_results([str(tmp_path)])[0])
    assert 'beyond seed noise in Final mIoU (val)' in tool.precision_notes(rows)[0]


# ------------------------------------------------------------------------------ one run
def test_one_row_per_record_and_missing_values_as_dashes():
    summary = dict(
        method='DRS',
        pipeline='configs/drs/p.py',
        dataset='synthetic',
        seed=0,
        stages=[
            dict(
                stage='pretrain',
                kind='pretrain',
                split='val',
                metrics=dict(mIoU=77.0),
                params=1234567,
                train_time_s=60.4,
            ),
            dict(
                stage='stage1',
                kind='localization',
                split='train',
                metrics=dict(mIoU=40.61),
                params=None,
            ),
            dict(stage='refine', kind='pseudo_label', split='train', metrics={}),
        ],
    )
    lines = tool.format_stage_table(summary).splitlines()
    assert lines[0] == 'DRS (configs/drs/p.py, synthetic, seed 0)'
    rows = lines[4:]
    assert rows[0] == '| pretrain | pretraining (ImageNet stand-in) | val | - | 1,234,567 | 60 |'
    assert rows[1] == '| stage1 | localization maps | train | 40.61 | - | - |'
    assert rows[2] == '| refine | pseudo labels | train | - | - | - |'
