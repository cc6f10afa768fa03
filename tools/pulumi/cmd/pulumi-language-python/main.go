// Command pulumi-language-python is egov-cloud's Python language host for the Pulumi engine.
//
// Why it exists: the upstream host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) which has no release tags and which the
// Go module proxy reachable here refuses outright, while pkg/v3 and sdk/v3 are served. So we build the host
// from the sdk/v3 module at the same pinned release as the CLI: the gRPC contract (pulumirpc), the serving
// helpers and the policy proxy all come from there, and the program executor is upstream's own
// `pulumi-language-python-exec`, copied at setup time from that same sdk/v3 module.
//
// Scope: what a Python project with a local provider plugin and local policy packs needs — Run (programs),
// RunPlugin (resource and analyzer plugins), GetPluginInfo, About, GetProgramDependencies and
// InstallDependencies — plus code generation with upstream's Python code generator of the same release
// (codegen.go): GeneratePackage for `pulumi package gen-sdk`, GenerateProgram for `pulumi import`. It reports
// no required plugins, so the engine never tries to download one.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	pbempty "google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// engineHealthInterval is how often we check that the engine is still there (upstream plugins use the same).
const engineHealthInterval = 5 * time.Minute

// userActionableExit is the exit code pulumi-language-python-exec uses after it has shown the user an error.
const userActionableExit = 32

func main() {
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint (accepted, unused)")
	root := flag.String("root", "", "Project root directory (accepted for compatibility)")
	flag.Parse()
	_ = tracing
	_ = root
	logging.InitLogging(false, 0, false)

	engineAddress := ""
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}
	executor, err := findExecutor()
	if err != nil {
		cmdutil.Exit(err)
	}

	// Stop serving on SIGINT, or when the engine that started us stops answering health checks: an engine
	// that dies without closing its plugins must not leave this process behind.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineHealthInterval, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start the engine health check: %w", err))
		}
	}
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()

	host := &pythonHost{engineAddress: engineAddress, executor: executor}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Cancel: stop,
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

// findExecutor locates pulumi-language-python-exec beside this binary (symlinks resolved), where setup puts it.
func findExecutor() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	executor := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	if _, err := os.Stat(executor); err != nil {
		return "", fmt.Errorf("missing executor %s: run `make setup` to copy it from the sdk/v3 module", executor)
	}
	return executor, nil
}

type pythonHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	executor      string
}

func (h *pythonHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *pythonHost) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPlugins reports nothing: our only provider is declared in Pulumi.yaml, never downloaded.
func (h *pythonHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *pythonHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// interpreter is the Python a program or plugin runs with: its `virtualenv` option (relative to dir), else
// PULUMI_PYTHON_CMD, else python3 on PATH.
type interpreter struct {
	python     string
	virtualenv string
}

func resolveInterpreter(dir string, options *structpb.Struct) (interpreter, error) {
	venv := ""
	if options != nil {
		if v, ok := options.GetFields()["virtualenv"]; ok {
			venv = v.GetStringValue()
		}
	}
	if venv == "" {
		if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
			return interpreter{python: cmd}, nil
		}
		python, err := exec.LookPath("python3")
		if err != nil {
			return interpreter{}, errors.New("no python3 on PATH and no `virtualenv` runtime option set")
		}
		return interpreter{python: python}, nil
	}
	if !filepath.IsAbs(venv) {
		venv = filepath.Join(dir, venv)
	}
	python := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		return interpreter{}, fmt.Errorf(
			"the virtualenv %s has no bin/python: run `make setup` (or `pulumi install`) to create it", venv)
	}
	return interpreter{python: python, virtualenv: venv}, nil
}

// environ is the child environment: ours, plus the virtualenv activated, plus extra.
func (i interpreter) environ(extra ...string) []string {
	env := os.Environ()
	if i.virtualenv != "" {
		env = append(env, "VIRTUAL_ENV="+i.virtualenv,
			"PATH="+filepath.Join(i.virtualenv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	return append(env, extra...)
}

func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return nil, errors.New("run request carries no program info; this host needs pulumi >= 3.130")
	}
	py, err := resolveInterpreter(info.GetRootDirectory(), info.GetOptions())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := []string{"-u", h.executor}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", fmt.Sprintf("%v", req.GetDryRun()))
	add("parallel", fmt.Sprint(req.GetParallel()))
	add("organization", req.GetOrganization())
	add("root_directory", info.GetRootDirectory())
	args = append(args, filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint()))
	args = append(args, req.GetArgs()...)

	config, secretKeys, err := configJSON(req.GetConfig(), req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, py.python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = py.environ("PULUMI_CONFIG="+config, "PULUMI_CONFIG_SECRET_KEYS="+secretKeys)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	interruptThenKill(cmd)

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == userActionableExit {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("could not run the Python executor %s with %s: %v", h.executor, py.python, err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// configJSON encodes stack config for PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS. A stack without config
// must still give `{}` and `[]`: the Python SDK's set_all_config fails on JSON null.
func configJSON(config map[string]string, secretKeys []string) (string, string, error) {
	if config == nil {
		config = map[string]string{}
	}
	if secretKeys == nil {
		secretKeys = []string{}
	}
	c, err := json.Marshal(config)
	if err != nil {
		return "", "", fmt.Errorf("serializing configuration: %w", err)
	}
	k, err := json.Marshal(secretKeys)
	if err != nil {
		return "", "", fmt.Errorf("serializing secret configuration keys: %w", err)
	}
	return string(c), string(k), nil
}

// interruptThenKill makes cancellation polite: SIGINT first, SIGKILL if the child lingers.
func interruptThenKill(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// streamWriter forwards a child's output to the engine as RunPluginResponse messages.
type streamWriter struct {
	mu     *sync.Mutex
	send   func(*pulumirpc.RunPluginResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	data := append([]byte(nil), p...)
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}}
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RunPlugin runs a Python resource plugin (PulumiPlugin.yaml) or policy pack (PulumiPolicy.yaml) in its directory.
func (h *pythonHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	ctx := server.Context()
	info := req.GetInfo()
	if info == nil {
		return errors.New("run plugin request carries no program info")
	}
	dir := info.GetProgramDirectory()
	py, err := resolveInterpreter(dir, info.GetOptions())
	if err != nil {
		return fmt.Errorf("plugin %q: %w", req.GetName(), err)
	}

	mu := &sync.Mutex{}
	stdout := streamWriter{mu: mu, send: server.Send}
	stderr := streamWriter{mu: mu, send: server.Send, stderr: true}

	args := append([]string{"-u", filepath.Join(dir, info.GetEntryPoint())}, req.GetArgs()...)
	cmd := exec.CommandContext(ctx, py.python, args...)
	cmd.Dir = req.GetPwd()
	if req.GetKind() == "analyzer" {
		cmd.Dir = dir // policy packs expect to run from their own directory
	}
	cmd.Env = py.environ(req.GetEnv()...)
	cmd.Stderr = stderr
	interruptThenKill(cmd)

	if req.GetKind() == "analyzer" {
		err = runPolicyPack(ctx, cmd, stdout)
	} else {
		cmd.Stdout = stdout
		err = cmd.Run()
	}
	code := int32(0)
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("plugin %q: %w", req.GetName(), err)
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// runPolicyPack starts a Python policy pack behind sdk/v3's PolicyProxy: the proxy answers the engine's
// stack configuration first, and the pack is then started with the PULUMI_* variables pulumi_policy reads.
func runPolicyPack(ctx context.Context, cmd *exec.Cmd, stdout io.Writer) error {
	proxy, packStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return err
	}
	cfg, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return err
	}
	config, secretKeys, err := configJSON(cfg.GetConfig(), cfg.GetConfigSecretKeys())
	if err != nil {
		return err
	}
	cmd.Env = append(cmd.Env,
		"PULUMI_PROJECT="+cfg.GetProject(),
		"PULUMI_STACK="+cfg.GetStack(),
		"PULUMI_ORGANIZATION="+cfg.GetOrganization(),
		fmt.Sprintf("PULUMI_DRY_RUN=%v", cfg.GetDryRun()),
		"PULUMI_CONFIG="+config,
		"PULUMI_CONFIG_SECRET_KEYS="+secretKeys,
	)
	cmd.Stdout = packStdout
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return err
	}
	return proxy.Attach(ctx, cmd)
}

func (h *pythonHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	info := req.GetInfo()
	if info == nil {
		return errors.New("install dependencies request carries no program info")
	}
	say := func(format string, a ...any) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(fmt.Sprintf(format, a...))})
	}
	if _, err := resolveInterpreter(info.GetRootDirectory(), info.GetOptions()); err == nil {
		return say("Python dependencies are in place (managed by `make setup`).\n")
	}
	return fmt.Errorf("the project's virtualenv is missing: run `make setup` in %s", info.GetRootDirectory())
}

func (h *pythonHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	py, err := resolveInterpreter(req.GetInfo().GetRootDirectory(), req.GetInfo().GetOptions())
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, py.python, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("asking %s for its version: %w", py.python, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: py.python,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "Python "),
	}, nil
}

func (h *pythonHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	py, err := resolveInterpreter(req.GetInfo().GetRootDirectory(), req.GetInfo().GetOptions())
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, py.python, "-m", "pip", "list", "--format=freeze").Output()
	if err != nil {
		return nil, fmt.Errorf("listing packages with %s: %w", py.python, err)
	}
	deps := []*pulumirpc.DependencyInfo{}
	scanner := bufio.NewScanner(strings.NewReader(string(out)))
	for scanner.Scan() {
		if name, ver, ok := strings.Cut(scanner.Text(), "=="); ok {
			deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: ver})
		}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
