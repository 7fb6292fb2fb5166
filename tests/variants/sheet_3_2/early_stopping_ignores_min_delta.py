# exercise: utilities
# any decrease counts as an improvement: min_delta is ignored
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch = val_losses[0], 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch == patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
