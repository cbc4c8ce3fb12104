namespace MmProxy.Interop;

/// <summary>
/// Runs code with the calling thread switched into a named network namespace (/var/run/netns/NAME),
/// on a dedicated thread that is discarded afterwards. A socket keeps the namespace it was created
/// in, so sockets made inside work from any thread later, async I/O included. Used by `mmproxy demo`.
/// </summary>
internal static class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;

    public static bool RunningAsRoot => LibC.GetEUid() == 0;

    public static T Run<T>(string name, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
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

    private static T RunHere<T>(string name, Func<T> action)
    {
        int original = OpenOrThrow("/proc/thread-self/ns/net");
        try
        {
            int target = OpenOrThrow("/var/run/netns/" + name);
            try
            {
                if (LibC.SetNs(target, CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({name}) failed: {LibC.LastError.Describe()}; it needs CAP_SYS_ADMIN");
                }
            }
            finally
            {
                _ = Descriptor.Close(target);
            }
            try
            {
                return action();
            }
            finally
            {
                // If switching back fails the thread is discarded anyway: it ends right after.
                _ = LibC.SetNs(original, CloneNewNet);
            }
        }
        finally
        {
            _ = Descriptor.Close(original);
        }
    }

    private static int OpenOrThrow(string path)
    {
        SysResult opened = Descriptor.OpenReadOnly(path);
        if (!opened.Succeeded)
        {
            throw new InvalidOperationException($"open({path}) failed: {opened.Error.Describe()}");
        }

        return opened.Int;
    }
}
