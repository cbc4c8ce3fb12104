using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Runs code with the calling thread switched into a named network namespace. A socket keeps the
/// namespace it was created in, so sockets made here work from any thread afterwards (async I/O
/// included). The switch happens on a dedicated thread that is thrown away afterwards, so no pooled
/// thread is ever left in the wrong namespace.
/// </summary>
internal static class NetworkNamespace
{
    public static T Run<T>(string name, Func<T> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = RunHere(name, action);
            }
#pragma warning disable CA1031 // rethrown on the calling thread
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = "netns " + name };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"in network namespace {name}: {failure.Message}", failure);
        }
        return result!;
    }

    public static Socket CreateSocket(string name, AddressFamily family, SocketType type, ProtocolType protocol) =>
        Run(name, () => new Socket(family, type, protocol));

    private static T RunHere<T>(string name, Func<T> action)
    {
        int original = OpenOrThrow("/proc/thread-self/ns/net");
        try
        {
            int target = OpenOrThrow("/var/run/netns/" + name);
            try
            {
                if (Native.SetNs(target, Native.CloneNewNet) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new InvalidOperationException($"setns({name}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)}); needs root");
                }
            }
            finally
            {
                _ = Native.Close(target);
            }
            try
            {
                return action();
            }
            finally
            {
                // If switching back fails the thread is discarded anyway (it ends right after).
                _ = Native.SetNs(original, Native.CloneNewNet);
            }
        }
        finally
        {
            _ = Native.Close(original);
        }
    }

    private static int OpenOrThrow(string path)
    {
        int fd = Native.Open(path, Native.ORdOnly | Native.OCloExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"open({path}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
        return fd;
    }
}
