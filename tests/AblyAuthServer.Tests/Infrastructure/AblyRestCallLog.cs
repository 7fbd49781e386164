using System.Collections;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// What <see cref="AblyRestStandIn"/> recorded for one endpoint, in arrival order. Written by request threads and read by
/// tests at the same time; enumerating takes a snapshot. <see cref="WaitForCountAsync"/> waits for calls the code under
/// test makes in the background.
/// </summary>
public sealed class AblyRestCallLog<T> : IReadOnlyList<T>
{
    /// <summary>How long <see cref="WaitForCountAsync"/> waits unless told otherwise.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = NewSignal();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    public T this[int index]
    {
        get
        {
            lock (_gate)
            {
                return _items[index];
            }
        }
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    /// <summary>
    /// Completes with a snapshot once at least <paramref name="count"/> calls are recorded; throws
    /// <see cref="TimeoutException"/> (saying how many arrived) after <paramref name="timeout"/>.
    /// </summary>
    public async Task<IReadOnlyList<T>> WaitForCountAsync(int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? DefaultWait;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_items.Count >= count)
                {
                    return [.. _items];
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Expected {count} {typeof(T).Name} call(s) within {limit}, saw {Count}.");
            }
        }
    }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(T item) => Change(items => items.Add(item));

    internal void Clear() => Change(items => items.Clear());

    private void Change(Action<List<T>> change)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            change(_items);
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
