using System.Diagnostics;
using System.Text;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A long-running process (proxy, HAProxy, nginx) whose stdout and stderr are kept, so a failing
/// test can print them. Disposal kills it and its children.
/// </summary>
internal sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<string, bool> Done, TaskCompletionSource Signal)> _waiters = [];

    private BackgroundProcess(string label, string commandLine, Process process)
    {
        Label = label;
        CommandLine = commandLine;
        _process = process;
    }

    public string Label { get; }
    public string CommandLine { get; }
    public int Id => _process.Id;
    public bool HasExited => _exited.Task.IsCompleted;
    public Task Exited => _exited.Task;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static BackgroundProcess Start(string label, string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        string line = fileName + " " + string.Join(' ', info.ArgumentList);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var result = new BackgroundProcess(label, line, process);
        process.OutputDataReceived += (_, e) => result.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => result.Append("err", e.Data);
        process.Exited += (_, _) => _ = result.CompleteAfterOutputAsync();
        if (!process.Start())
        {
            throw new InvalidOperationException("could not start " + line);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>
    /// Exited completes once the output read so far is all the output: the Exited event can come
    /// before the last lines are read, and a test asserting on them right after the exit would race.
    /// Bounded, in case a child process still holds the pipes open.
    /// </summary>
    private async Task CompleteAfterOutputAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // A child keeps stdout open: report the exit without the rest.
        }
        _exited.TrySetResult();
        CheckWaiters();
    }

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append(stream).Append("| ").AppendLine(line);
        }

        CheckWaiters();
    }

    /// <summary>
    /// Completes when the output so far satisfies <paramref name="done"/> (checked at every new
    /// line, and at the exit); false when the process exited or <paramref name="timeout"/> passed first.
    /// </summary>
    public async Task<bool> WaitForOutputAsync(Func<string, bool> done, TimeSpan timeout)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((done, signal));
        }

        CheckWaiters();
        try
        {
            await signal.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // Decided below from the output as it is now.
        }
        finally
        {
            lock (_waiters)
            {
                _waiters.RemoveAll(w => w.Signal == signal);
            }
        }

        return done(Output);
    }

    private void CheckWaiters()
    {
        lock (_waiters)
        {
            if (_waiters.Count == 0)
            {
                return;
            }

            string output = Output;
            foreach ((Func<string, bool> done, TaskCompletionSource signal) in _waiters)
            {
                if (done(output) || HasExited)
                {
                    signal.TrySetResult();
                }
            }
        }
    }

    public string Describe()
    {
        string state = HasExited ? $"exited {_process.ExitCode}" : "running";
        return $"=== {Label} ({state}): {CommandLine}\n{Output}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                // Reported through Describe(); nothing more to do.
            }
        }
        _process.Dispose();
    }
}
